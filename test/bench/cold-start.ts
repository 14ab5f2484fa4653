// Benchmark: cold start through modelhub next to a plain `docker run` of the same image, measured in
// the same run, interleaved, several repetitions. For each it times "start → READY" and "start → first
// prediction answered":
//   - docker run:  `docker run -d -p 127.0.0.1:PORT:5000 IMAGE`, then /health-check every 10 ms until READY,
//                  then POST /predictions (the CLI's own start-up is part of what a user pays)
//   - docker API:  the same through the Engine API (dockerode create + start), no CLI process
//   - modelhub:    POST /v1/models/{o}/{n}/predictions with Prefer: wait on a stopped model; READY is the
//                  boot time modelhub itself records (container create → READY)
// Traffic goes only to 127.0.0.1. Containers are removed after each repetition.
//
//   node_modules/.bin/bun run test/bench/cold-start.ts [repetitions=7] [image=modelhub-test/hello:latest]
import Docker from "dockerode";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");
const BUN = process.execPath;
const REPS = Number(process.argv[2] ?? 7);
const IMAGE = process.argv[3] ?? "modelhub-test/hello:latest";
const INPUT = { text: "bench" };
const docker = new Docker({ socketPath: "/var/run/docker.sock" });

function sh(cmd: string[]): string {
  const p = Bun.spawnSync(cmd);
  if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${p.stderr.toString()}`);
  return p.stdout.toString().trim();
}

function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

async function ready(base: string): Promise<void> {
  for (;;) {
    try {
      const r = await fetch(`${base}/health-check`, { signal: AbortSignal.timeout(1000) });
      if (r.ok && (await r.json()).status === "READY") return;
    } catch {}
    await Bun.sleep(10);
  }
}

async function predictDirect(base: string): Promise<void> {
  const r = await fetch(`${base}/predictions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input: INPUT }) });
  if (r.status !== 200) throw new Error(`direct prediction: HTTP ${r.status}`);
}

interface Sample {
  readyMs: number;
  firstPredictionMs: number;
}

async function plainCli(): Promise<Sample> {
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const id = sh(["docker", "run", "-d", "--shm-size", "6g", "-p", `127.0.0.1:${port}:5000`, "-e", "COG_LOG_LEVEL=warning", "--label", "modelhub.bench=cold-start", IMAGE]);
  try {
    await ready(base);
    const t1 = performance.now();
    await predictDirect(base);
    return { readyMs: t1 - t0, firstPredictionMs: performance.now() - t0 };
  } finally {
    sh(["docker", "rm", "-f", id]);
  }
}

async function plainApi(): Promise<Sample> {
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const c = await docker.createContainer({
    Image: IMAGE,
    Env: ["COG_LOG_LEVEL=warning"],
    Labels: { "modelhub.bench": "cold-start" },
    ExposedPorts: { "5000/tcp": {} },
    HostConfig: { PortBindings: { "5000/tcp": [{ HostIp: "127.0.0.1", HostPort: String(port) }] }, ShmSize: 6 * 1024 ** 3 },
  });
  try {
    await c.start();
    await ready(base);
    const t1 = performance.now();
    await predictDirect(base);
    return { readyMs: t1 - t0, firstPredictionMs: performance.now() - t0 };
  } finally {
    await c.remove({ force: true });
  }
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), "modelhub-bench-cold-"));
  const server = Bun.spawn([BUN, join(ROOT, "cli/main.ts"), "serve", "--port", "0", "--data-dir", dataDir, "--log-level", "warn", "--auth", "off"], { stderr: "pipe", stdout: "ignore" });
  const reader = server.stderr.getReader();
  let text = "";
  while (!/serving on (\S+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`modelhub did not start:\n${text}`);
    text += new TextDecoder().decode(value);
  }
  void (async () => {
    while (!(await reader.read()).done);
  })();
  const hub = /serving on (\S+)/.exec(text)![1];
  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const r = await fetch(`${hub}${path}`, { method, headers: { "content-type": "application/json", ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, body: (await r.json()) as any };
  };

  const viaModelhub = async (): Promise<Sample> => {
    const t0 = performance.now();
    const r = await api("POST", "/v1/models/bench/cold/predictions", { input: INPUT }, { prefer: "wait=60" });
    const total = performance.now() - t0;
    if (r.body.status !== "succeeded") throw new Error(`modelhub prediction: ${JSON.stringify(r.body).slice(0, 300)}`);
    const inst = (await api("GET", "/v1/instances")).body.instances.find((i: any) => i.model === "bench/cold");
    await api("POST", "/v1/instances/stop", { model: "bench/cold", grace: 0 });
    return { readyMs: inst.boot_ms, firstPredictionMs: total };
  };

  try {
    const added = await api("POST", "/v1/models/bench/cold/versions", { image: IMAGE });
    if (added.status >= 300) throw new Error(`import: ${JSON.stringify(added.body)}`);
    // Warm-up: page the image and binaries into the cache so repetition 1 is not an outlier.
    await plainApi();
    await viaModelhub();

    const runs = { "docker run": [] as Sample[], "docker API": [] as Sample[], modelhub: [] as Sample[] };
    const order = [["docker run", plainCli], ["docker API", plainApi], ["modelhub", viaModelhub]] as const;
    for (let rep = 0; rep < REPS; rep++) {
      // Rotate who goes first, so drift on a shared machine does not favour one side.
      for (let k = 0; k < order.length; k++) {
        const [name, fn] = order[(rep + k) % order.length];
        runs[name].push(await fn());
      }
      process.stderr.write(`repetition ${rep + 1}/${REPS} done\n`);
    }

    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    };
    const f = (n: number) => `${Math.round(n)}`.padStart(6);
    console.log(`\ncold start of ${IMAGE}, ${REPS} repetitions each (ms; median, min, max)`);
    console.log(`${"".padEnd(12)}  ${"start → READY".padEnd(24)}  start → first prediction answered`);
    for (const [name, xs] of Object.entries(runs)) {
      const r = xs.map((x) => x.readyMs);
      const p = xs.map((x) => x.firstPredictionMs);
      console.log(`${name.padEnd(12)}  ${f(median(r))} ${f(Math.min(...r))} ${f(Math.max(...r))}     ${f(median(p))} ${f(Math.min(...p))} ${f(Math.max(...p))}`);
    }
    const m = (name: keyof typeof runs, k: keyof Sample) => median(runs[name].map((x) => x[k]));
    for (const base of ["docker run", "docker API"] as const) {
      const d = m("modelhub", "firstPredictionMs") - m(base, "firstPredictionMs");
      const ratio = m("modelhub", "firstPredictionMs") / m(base, "firstPredictionMs");
      console.log(`modelhub vs ${base}: first prediction ${d >= 0 ? "+" : ""}${Math.round(d)} ms (×${ratio.toFixed(2)}); READY ${Math.round(m("modelhub", "readyMs") - m(base, "readyMs"))} ms`);
    }
  } finally {
    server.kill("SIGTERM");
    await server.exited;
    const left = sh(["docker", "ps", "-aq", "--filter", "label=modelhub.bench=cold-start"]);
    if (left) sh(["docker", "rm", "-f", ...left.split("\n")]);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
