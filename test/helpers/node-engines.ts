// A test harness of "GPU machines on a LAN" on one host: extra `dockerd` engines, each in its own
// network namespace joined to a private test bridge, speaking mTLS on tcp://NODE_IP:2376 with
// certificates made by openssl, with simulated GPU inventories (test/helpers/fake-nvidia.ts), plus a
// third namespace standing for another host on that LAN.
//
//   host (modelhub, the tests) 10.231.X.1 ── bridge mhnID ──┬── netns node-a 10.231.X.11  dockerd
//                                                            ├── netns node-b 10.231.X.12  dockerd
//                                                            └── netns lan    10.231.X.50  (no engine)
//
// Engines are started with `nsenter --net=/run/netns/NAME dockerd …` (`ip netns exec` remounts /sys
// and dockerd refuses to start there). Each has its own data root, exec root (its own containerd),
// pid file and unix socket under one temp dir; they start with no images. The host daemon sets the
// FORWARD policy to DROP and br_netfilter makes bridged traffic pass FORWARD, hence the ACCEPT rules
// for the test bridge. Everything is undone by teardown(), also after a failed test, and a later
// harness sweeps what a killed test process left behind (its owner pid is gone).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type FakeGpu, fakeGpus, writeFakeNvidia } from "./fake-nvidia.ts";
import { type ClientTls, makeCerts } from "./node-certs.ts";

export type { ClientTls } from "./node-certs.ts";
export type { FakeGpu } from "./fake-nvidia.ts";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface NodeEngine {
  name: string;
  ip: string;
  netns: string;
  /** tcp://IP:2376, --tlsverify: only modelhub's client certificate gets in */
  engineUrl: string;
  /** the engine's unix socket, for the tests' own inspection (plain, root only) */
  socket: string;
  /** the simulated inventory ([] = a CPU node, no "nvidia" runtime) */
  gpus: FakeGpu[];
  /** `docker -H unix://socket ARGS…` */
  docker(args: string[], opts?: { stdin?: Blob | Uint8Array | ReadableStream }): Promise<RunResult>;
  /** Engine API over the unix socket (path like "/containers/json") */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** SIGKILL the daemon (and its containerd): the machine's engine dies; containers are left as they are */
  kill(): Promise<void>;
  /** SIGTERM the daemon and wait for it to exit */
  stop(): Promise<void>;
  /** Start the daemon again on the same data root and wait until it answers */
  restart(): Promise<void>;
  running(): boolean;
}

export interface NodeEngines {
  id: string;
  dir: string;
  bridge: string;
  /** the host's address on the test bridge (where node containers reach modelhub) */
  hostIp: string;
  subnet: string;
  nodes: NodeEngine[];
  /** the third namespace: another host on the LAN */
  lan: { netns: string; ip: string };
  /** modelhub's client certificate (the CA signed it and every engine's server certificate) */
  tls: ClientTls;
  /** A command inside the LAN namespace (nsenter --net). */
  runInLan(argv: string[]): Promise<RunResult>;
  /** A command inside a node's namespace. */
  runIn(node: NodeEngine, argv: string[]): Promise<RunResult>;
  teardown(): Promise<void>;
}

export interface NodeSpec {
  name: string;
  /** simulated GPUs; 0 = a CPU node */
  gpus: number;
}

const DEFAULT_NODES: NodeSpec[] = [
  { name: "node-a", gpus: 2 },
  { name: "node-b", gpus: 2 },
];

const PREFIX = "mhn";
const TMP_PREFIX = "/tmp/mhn-";

/** Why the harness cannot run here, or null. Tests skip with this reason (CI has all of it). */
export function nodeEnginesUnavailable(): string | null {
  if (process.platform !== "linux") return "node engines need Linux network namespaces";
  if (process.getuid?.() !== 0) return "node engines need root (ip netns, dockerd)";
  for (const bin of ["/usr/sbin/dockerd", "/usr/bin/nsenter", "/usr/sbin/ip", "/usr/sbin/iptables", "/usr/bin/openssl"]) {
    if (!existsSync(bin) && !which(bin.split("/").pop() ?? bin)) return `node engines need ${bin.split("/").pop()}`;
  }
  if (!which("curl")) return "node engines tests need curl (test/run.sh installs it)";
  if (!existsSync("/bin/busybox")) return "node engines need /bin/busybox (Debian package busybox-static; test/run.sh installs it) for the simulated nvidia-smi";
  return null;
}

function which(name: string): boolean {
  return (process.env.PATH ?? "").split(":").some((d) => d && existsSync(join(d, name)));
}

export async function run(argv: string[], opts: { stdin?: Blob | Uint8Array | ReadableStream; env?: Record<string, string> } = {}): Promise<RunResult> {
  const proc = Bun.spawn(argv, { stdin: opts.stdin ?? "ignore", stdout: "pipe", stderr: "pipe", env: opts.env ?? process.env });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

async function must(argv: string[]): Promise<string> {
  const r = await run(argv);
  if (r.code !== 0) throw new Error(`${argv.join(" ")} failed (exit ${r.code}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** A /24 in 10.231.0.0/16 that no route on this host uses yet. */
async function freeSubnet(): Promise<number> {
  const routes = await must(["ip", "-4", "route", "show", "table", "all"]);
  for (let tries = 0; tries < 64; tries++) {
    const x = Math.floor(Math.random() * 250) + 1;
    if (!routes.includes(`10.231.${x}.`)) return x;
  }
  throw new Error("no free 10.231.X.0/24 for the node engines' test bridge");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Removes what harnesses of dead test processes left (their owner pid no longer runs). */
async function sweepStale(): Promise<void> {
  for (const entry of readdirSync("/tmp")) {
    if (!entry.startsWith("mhn-")) continue;
    const dir = join("/tmp", entry);
    let state: TeardownState;
    try {
      state = JSON.parse(readFileSync(join(dir, "harness.json"), "utf8"));
    } catch {
      continue;
    }
    if (processAlive(state.owner)) continue;
    await teardownState(state).catch(() => {});
  }
}

/** Running and not a zombie. */
function liveProcess(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) [ZX]/s.test(stat);
  } catch {
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** What teardown needs, also written to disk so a later run can sweep it. */
interface TeardownState {
  owner: number;
  dir: string;
  bridge: string;
  netns: string[];
  iptables: string[][];
}

async function teardownState(s: TeardownState): Promise<void> {
  // Every process in a node's namespace: dockerd, its containerd, shims, the containers' processes.
  for (let round = 0; round < 3; round++) {
    let any = false;
    for (const ns of s.netns) {
      const pids = (await run(["ip", "netns", "pids", ns])).stdout.split(/\s+/).filter(Boolean).map(Number);
      for (const pid of pids) {
        any = true;
        try {
          process.kill(pid, "SIGKILL");
        } catch {}
      }
    }
    if (!any) break;
    await sleep(200);
  }
  // Mounts dockerd made under its roots (overlay layers, netns files, shm) go before the files.
  const mounts = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((p): p is string => !!p && p.startsWith(s.dir + "/"))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await run(["umount", "-l", m]);
  for (const ns of s.netns) await run(["ip", "netns", "del", ns]);
  await run(["ip", "link", "del", s.bridge]);
  for (const rule of s.iptables) {
    while ((await run(["iptables", "-D", ...rule])).code === 0) {}
  }
  rmSync(s.dir, { recursive: true, force: true });
}

/**
 * Starts the engines (default: node-a and node-b with 2 simulated GPUs each) and the LAN namespace.
 * About 2-3 s: the engines start in parallel.
 */
export async function startNodeEngines(opts: { nodes?: NodeSpec[]; log?: (line: string) => void } = {}): Promise<NodeEngines> {
  const reason = nodeEnginesUnavailable();
  if (reason) throw new Error(reason);
  const log = opts.log ?? (() => {});
  const t0 = performance.now();
  await sweepStale();
  const specs = opts.nodes ?? DEFAULT_NODES;
  // Short paths: containerd's socket lives under the exec root and unix socket paths stop at 107 bytes.
  const dir = mkdtempSync(TMP_PREFIX);
  const id = dir.slice(TMP_PREFIX.length).toLowerCase().replace(/[^a-z0-9]/g, "").slice(0, 6).padEnd(6, "0");
  const x = await freeSubnet();
  const subnet = `10.231.${x}.0/24`;
  const hostIp = `10.231.${x}.1`;
  const bridge = `${PREFIX}${id}`; // ≤ 15 chars
  const state: TeardownState = {
    owner: process.pid,
    dir,
    bridge,
    netns: [],
    iptables: [
      ["FORWARD", "-i", bridge, "-j", "ACCEPT"],
      ["FORWARD", "-o", bridge, "-j", "ACCEPT"],
    ],
  };
  const saveState = () => writeFileSync(join(dir, "harness.json"), JSON.stringify(state));
  saveState();
  let torn = false;
  const teardown = async () => {
    if (torn) return;
    torn = true;
    await teardownState(state);
    process.off("exit", onExit);
  };
  // Last resort when the test process exits without teardown (a crash, Ctrl-C): synchronous.
  const onExit = () => {
    if (torn) return;
    for (const ns of state.netns) Bun.spawnSync(["sh", "-c", `kill -9 $(ip netns pids ${ns}) 2>/dev/null; true`]);
  };
  process.on("exit", onExit);

  try {
    await must(["ip", "link", "add", bridge, "type", "bridge"]);
    await must(["ip", "addr", "add", `${hostIp}/24`, "dev", bridge]);
    await must(["ip", "link", "set", bridge, "up"]);
    for (const rule of state.iptables) await must(["iptables", "-I", ...rule]);

    const addNamespace = async (suffix: string, ip: string): Promise<string> => {
      const ns = `${PREFIX}${id}-${suffix}`;
      const hostEnd = `${PREFIX}${id}${suffix.slice(-1)}h`;
      const nsEnd = `${PREFIX}${id}${suffix.slice(-1)}n`;
      await must(["ip", "netns", "add", ns]);
      state.netns.push(ns);
      saveState();
      await must(["ip", "link", "add", hostEnd, "type", "veth", "peer", "name", nsEnd]);
      await must(["ip", "link", "set", nsEnd, "netns", ns]);
      await must(["ip", "link", "set", hostEnd, "master", bridge, "up"]);
      await must(["ip", "-n", ns, "addr", "add", `${ip}/24`, "dev", nsEnd]);
      await must(["ip", "-n", ns, "link", "set", nsEnd, "up"]);
      await must(["ip", "-n", ns, "link", "set", "lo", "up"]);
      await must(["ip", "-n", ns, "route", "add", "default", "via", hostIp]);
      return ns;
    };

    const placed = specs.map((s, i) => ({ ...s, ip: `10.231.${x}.${11 + i}` }));
    const lanIp = `10.231.${x}.50`;
    const [certs, ...nsNames] = await Promise.all([makeCerts(dir, placed), ...placed.map((n, i) => addNamespace(`n${i}`, n.ip)), addNamespace("lan", lanIp)]);
    log(`network ready in ${Math.round(performance.now() - t0)} ms`);

    const nodes = placed.map((spec, i) => makeEngine(dir, spec, nsNames[i], certs.ca, certs.servers[spec.name]));
    await Promise.all(nodes.map((n) => n.restart()));
    log(`engines ready in ${Math.round(performance.now() - t0)} ms`);

    const runInNs = (ns: string, argv: string[]) => run(["nsenter", `--net=/run/netns/${ns}`, ...argv]);
    return {
      id,
      dir,
      bridge,
      hostIp,
      subnet,
      nodes,
      lan: { netns: nsNames[nsNames.length - 1], ip: lanIp },
      tls: certs.client,
      runInLan: (argv) => runInNs(nsNames[nsNames.length - 1], argv),
      runIn: (node, argv) => runInNs(node.netns, argv),
      teardown,
    };
  } catch (err) {
    await teardown();
    throw err;
  }
}

function makeEngine(dir: string, spec: NodeSpec & { ip: string }, netns: string, ca: string, server: { cert: string; key: string }): NodeEngine & { restart(): Promise<void> } {
  const root = join(dir, spec.name);
  mkdirSync(root, { recursive: true });
  const socket = join(root, "docker.sock");
  const pidfile = join(root, "dockerd.pid");
  const gpus = fakeGpus(spec.name, spec.gpus);
  let env: Record<string, string> = { ...process.env } as Record<string, string>;
  let daemonConfig: Record<string, unknown> = {};
  if (gpus.length > 0) {
    const fake = writeFakeNvidia(join(root, "nvidia"), gpus);
    env = { ...env, ...fake.env, PATH: `${fake.pathDir}:${env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"}` };
    daemonConfig = fake.daemonConfig;
  }
  // modelhub's registry as nodes reach it over the test bridge is plain HTTP (--node-registry-url
  // HOST:PORT; docs/scaling.md): the nodes list the bridge's subnet as an insecure registry.
  daemonConfig = { ...daemonConfig, "insecure-registries": [`${spec.ip.split(".").slice(0, 3).join(".")}.0/24`] };
  const configFile = join(root, "daemon.json");
  writeFileSync(configFile, JSON.stringify(daemonConfig));
  let proc: ReturnType<typeof Bun.spawn> | null = null;

  const argv = [
    "nsenter",
    `--net=/run/netns/${netns}`,
    "dockerd",
    `--config-file=${configFile}`,
    `--data-root=${join(root, "data")}`,
    `--exec-root=${join(root, "exec")}`,
    `--pidfile=${pidfile}`,
    `--host=unix://${socket}`,
    `--host=tcp://${spec.ip}:2376`,
    "--tlsverify",
    `--tlscacert=${ca}`,
    `--tlscert=${server.cert}`,
    `--tlskey=${server.key}`,
    "--iptables=true",
    // Its own default bridge range, so a node's containers never look like the host's.
    "--bip=172.29.0.1/16",
    "--log-level=warn",
  ];

  const api = (path: string, init?: RequestInit) => fetch(`http://engine${path}`, { ...init, unix: socket } as RequestInit);

  const waitExit = async (ms: number) => {
    const p = proc;
    if (!p) return;
    await Promise.race([p.exited, sleep(ms)]);
  };

  const engine = {
    name: spec.name,
    ip: spec.ip,
    netns,
    engineUrl: `tcp://${spec.ip}:2376`,
    socket,
    gpus,
    docker: (args: string[], opts: { stdin?: Blob | Uint8Array | ReadableStream } = {}) => run(["docker", "-H", `unix://${socket}`, ...args], opts),
    api,
    running: () => proc !== null && proc.exitCode === null && proc.signalCode === null,
    async kill() {
      if (!proc) return;
      // containerd is dockerd's child and dies with it (parent-death signal); shims and containers stay.
      proc.kill("SIGKILL");
      await proc.exited;
      proc = null;
    },
    async stop() {
      if (!proc) return;
      proc.kill("SIGTERM");
      await waitExit(20_000);
      if (proc && proc.exitCode === null) proc.kill("SIGKILL");
      await proc?.exited;
      proc = null;
    },
    async restart() {
      if (proc) await engine.stop();
      // A killed engine's containerd may linger as a zombie nobody reaps; dockerd would take its
      // pid file for a live containerd and wait for it forever.
      for (const file of [join(root, "exec", "containerd", "containerd.pid"), pidfile]) {
        const pid = existsSync(file) ? Number(readFileSync(file, "utf8").trim()) : 0;
        if (pid > 0 && !liveProcess(pid)) rmSync(file, { force: true });
      }
      proc = Bun.spawn(argv, { env, stdin: "ignore", stdout: "ignore", stderr: Bun.file(join(root, "dockerd.log")) });
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        if (proc.exitCode !== null) break;
        try {
          const r = await api("/_ping");
          if (r.ok) return;
        } catch {}
        await sleep(50);
      }
      const tail = existsSync(join(root, "dockerd.log")) ? readFileSync(join(root, "dockerd.log"), "utf8").slice(-2000) : "";
      throw new Error(`dockerd of ${spec.name} did not start: ${tail}`);
    },
  };
  return engine;
}
