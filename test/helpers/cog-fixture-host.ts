// Runs a Cog fixture image either as a real container (Docker) or as a plain process of the fixture
// server with the env that image bakes (no Docker) — so one protocol suite covers both. Also the
// webhook/upload receiver those targets call back, reachable from wherever the target runs.
import { join } from "node:path";
import { type FixtureChildName, fixtureImageEnv, FIXTURE_IMAGES } from "../fixtures/build-images.ts";

export interface FixtureTarget {
  base: string;
  /** Everything the server wrote to stdout and stderr so far. */
  logs(): Promise<string>;
  /** Resolves with the exit code once the server has stopped. */
  exitCode(timeoutMs?: number): Promise<number>;
  running(): Promise<boolean>;
  signal(name: "SIGTERM" | "SIGINT"): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  args?: string[];
}

export interface FixtureHost {
  name: "process" | "docker";
  /** Address the receiver must bind so the targets reach it. */
  receiverBind(): Promise<string>;
  /** The receiver's base URL as a target sees it. */
  receiverUrl(port: number): string;
  start(image: FixtureChildName, opts?: StartOptions): Promise<FixtureTarget>;
  cleanup(): Promise<void>;
}

async function sh(cmd: string[], timeoutMs = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", timeout: timeoutMs });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

async function mustSh(cmd: string[], timeoutMs?: number): Promise<string> {
  const r = await sh(cmd, timeoutMs);
  if (r.code !== 0) throw new Error(`${cmd.join(" ")} → exit ${r.code}: ${r.stderr}`);
  return r.stdout.trim();
}

const MAIN = join(import.meta.dir, "..", "fixtures", "cog-server", "main.ts");

function freePort(): number {
  const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = s.port ?? 0;
  s.stop(true);
  return port;
}

/** Knobs of the fixture server that must not leak in from the test's own environment. */
const FIXTURE_ENV = /^(COG_|WEBHOOK_AUTH_TOKEN$|LOG_FORMAT$|PORT$)/;

export function processHost(): FixtureHost {
  const procs: Bun.Subprocess[] = [];
  return {
    name: "process",
    receiverBind: async () => "127.0.0.1",
    receiverUrl: (port) => `http://127.0.0.1:${port}`,
    async start(image, opts = {}) {
      const port = freePort();
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !FIXTURE_ENV.test(k)) env[k] = v;
      Object.assign(env, fixtureImageEnv(image), opts.env, { PORT: String(port) });
      const proc = Bun.spawn([process.execPath, MAIN, "--host", "127.0.0.1", ...(opts.args ?? [])], { env, stdout: "pipe", stderr: "pipe" });
      procs.push(proc);
      let output = "";
      const pump = async (stream: ReadableStream<Uint8Array>) => {
        const dec = new TextDecoder();
        for await (const chunk of stream) output += dec.decode(chunk, { stream: true });
      };
      const pumped = Promise.all([pump(proc.stdout), pump(proc.stderr)]);
      return {
        base: `http://127.0.0.1:${port}`,
        logs: async () => output,
        exitCode: async (timeoutMs = 15_000) => {
          const code = await Promise.race([proc.exited, Bun.sleep(timeoutMs).then(() => Promise.reject(new Error("process did not exit")))]);
          await pumped;
          return code;
        },
        running: async () => proc.exitCode === null && proc.signalCode === null,
        signal: async (name) => {
          proc.kill(name);
        },
      };
    },
    async cleanup() {
      for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
    },
  };
}

/** The bridge gateway: the host as seen from containers. */
async function bridgeGateway(): Promise<string> {
  const ipam = JSON.parse(await mustSh(["docker", "network", "inspect", "bridge", "--format", "{{json .IPAM.Config}}"])) as { Gateway?: string; Subnet?: string }[];
  const gateway = ipam.find((c) => c.Gateway)?.Gateway;
  if (gateway) return gateway;
  const subnet = ipam.find((c) => c.Subnet && !c.Subnet.includes(":"))?.Subnet;
  if (!subnet) throw new Error("bridge network has no IPv4 subnet");
  const octets = subnet.split("/")[0].split(".").map(Number);
  octets[3] += 1;
  return octets.join(".");
}

export function dockerHost(label: string): FixtureHost {
  const started: string[] = [];
  return {
    name: "docker",
    receiverBind: bridgeGateway,
    receiverUrl: (port) => `http://host.docker.internal:${port}`,
    async start(image, opts = {}) {
      const env = Object.entries(opts.env ?? {}).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
      const id = await mustSh([
        "docker", "run", "-d", "--label", label, "-p", "127.0.0.1::5000",
        "--add-host", "host.docker.internal:host-gateway", ...env, FIXTURE_IMAGES[image], ...(opts.args ?? []),
      ]);
      started.push(id);
      const mapping = await mustSh(["docker", "port", id, "5000/tcp"]);
      const port = /127\.0\.0\.1:(\d+)/.exec(mapping)?.[1];
      if (!port) throw new Error(`no 127.0.0.1 port mapping: ${mapping}`);
      return {
        base: `http://127.0.0.1:${port}`,
        logs: async () => {
          const r = await sh(["docker", "logs", id]);
          return r.stdout + r.stderr;
        },
        exitCode: async (timeoutMs = 15_000) => Number(await mustSh(["docker", "wait", id], timeoutMs)),
        running: async () => (await mustSh(["docker", "inspect", "--format", "{{.State.Running}}", id])) === "true",
        signal: async (name) => {
          await mustSh(["docker", "kill", "--signal", name.replace(/^SIG/, ""), id]);
        },
      };
    },
    async cleanup() {
      if (started.length > 0) await sh(["docker", "rm", "-f", ...started]);
    },
  };
}

export interface Received {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Uint8Array;
  json?: Record<string, unknown>;
  /** Set once the receiver has answered this request. */
  answered: boolean;
}

/**
 * Webhook + upload receiver. PUTs answer 201 with a Location carrying a query (to be stripped);
 * `script(path, statuses)` makes a path answer those statuses first; `delay(path, ms)` holds answers.
 */
export async function startReceiver(host: FixtureHost) {
  const received: Received[] = [];
  const scripted = new Map<string, number[]>();
  const delays = new Map<string, number>();
  const bind = await host.receiverBind();
  let port = 0;
  const server: ReturnType<typeof Bun.serve> = Bun.serve({
    hostname: bind,
    port: 0,
    async fetch(req): Promise<Response> {
      const url = new URL(req.url);
      const body = new Uint8Array(await req.arrayBuffer());
      const rec: Received = { method: req.method, path: url.pathname, headers: Object.fromEntries(req.headers), body, answered: false };
      if ((req.headers.get("content-type") ?? "").includes("json")) rec.json = JSON.parse(new TextDecoder().decode(body));
      received.push(rec);
      const wait = delays.get(url.pathname);
      if (wait) await Bun.sleep(wait);
      const status = scripted.get(url.pathname)?.shift() ?? (req.method === "PUT" ? 201 : 200);
      rec.answered = true;
      if (req.method === "PUT" && status < 300) {
        return new Response(null, { status, headers: { location: `${host.receiverUrl(port)}/files${url.pathname}?sig=abc123` } });
      }
      return new Response(status < 300 ? "" : "try again", { status });
    },
  });
  port = server.port ?? 0;
  const base = host.receiverUrl(port);
  return {
    base,
    received,
    hooks: (name: string) => received.filter((r) => r.path === `/hooks/${name}`),
    script: (path: string, statuses: number[]) => scripted.set(path, [...statuses]),
    delay: (path: string, ms: number) => delays.set(path, ms),
    stop: () => server.stop(true),
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {
      // Connection refused while the target boots: keep polling.
    }
    await Bun.sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function call(t: FixtureTarget, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs = 20_000) {
  const res = await fetch(`${t.base}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Plain-text answers are checked through `text`.
  }
  return { status: res.status, json, text, headers: res.headers };
}
