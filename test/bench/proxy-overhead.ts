// Benchmark: what modelhub adds to a prediction. In one run it measures a direct `POST /predictions`
// to a hello container (the baseline) and the same prediction through modelhub's
// `POST /v1/predictions` with `Prefer: wait`, at 1 and 8 concurrent clients, and prints p50/p99,
// requests per second and the ratios. Traffic goes only to 127.0.0.1.
//
//   node_modules/.bin/bun run test/bench/proxy-overhead.ts [requestsPerClient=300]
import { join } from "node:path";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";

const ROOT = join(import.meta.dir, "../..");
const BUN = process.execPath;
const PER_CLIENT = Number(process.argv[2] ?? 300);
const IMAGE = "modelhub-test/hello:latest";

function sh(cmd: string[]): string {
  const p = Bun.spawnSync(cmd);
  if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${p.stderr.toString()}`);
  return p.stdout.toString().trim();
}

async function waitFor(url: string, ok: (r: Response) => Promise<boolean>, ms = 30_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if (await ok(await fetch(url))) return;
    } catch {}
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for ${url}`);
}

interface Result { p50: number; p99: number; rps: number; errors: number }

/** `clients` loops each sending PER_CLIENT requests back to back; a 409 is retried (what a direct client must do). */
async function load(clients: number, send: () => Promise<Response>): Promise<Result> {
  const lat: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = 0; i < PER_CLIENT; i++) {
        const s = performance.now();
        for (;;) {
          const r = await send();
          const body = await r.text();
          if (r.status === 409) continue;
          if (r.status >= 300 || !body.includes('"succeeded"')) errors++;
          break;
        }
        lat.push(performance.now() - s);
      }
    }),
  );
  const total = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  return { p50: q(0.5), p99: q(0.99), rps: lat.length / total, errors };
}

const dataDir = mkdtempSync(join(tmpdir(), "modelhub-bench-"));
const direct = sh(["docker", "run", "-d", "--rm", "-p", "127.0.0.1::5000", "--label", "dev.modelhub.bench=1", IMAGE]);
const server = Bun.spawn([BUN, join(ROOT, "cli/main.ts"), "serve", "--port", "0", "--data-dir", dataDir, "--log-level", "warn"], { stderr: "pipe" });
try {
  const directUrl = `http://${sh(["docker", "port", direct, "5000/tcp"]).split("\n")[0]}`;
  await waitFor(`${directUrl}/health-check`, async (r) => (await r.json()).status === "READY");

  const reader = server.stderr.getReader();
  let text = "";
  while (!/serving on (\S+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`modelhub exited: ${text}`);
    text += new TextDecoder().decode(value);
  }
  const hub = /serving on (\S+)/.exec(text)![1];
  const add = await fetch(`${hub}/v1/models/bench/hello/versions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ image: IMAGE }) });
  const version = (await add.json()).id as string;

  const body = JSON.stringify({ input: { text: "bench" } });
  const hubBody = JSON.stringify({ version, input: { text: "bench" } });
  const viaDirect = () => fetch(`${directUrl}/predictions`, { method: "POST", headers: { "content-type": "application/json" }, body });
  const viaHub = () => fetch(`${hub}/v1/predictions`, { method: "POST", headers: { "content-type": "application/json", prefer: "wait" }, body: hubBody });

  // warm up both paths (modelhub's first call also starts its container)
  await load(1, viaHub);
  await load(1, viaDirect);

  const fmt = (n: number) => n.toFixed(2).padStart(8);
  console.log(`requests per client: ${PER_CLIENT}; image ${IMAGE}`);
  console.log("clients  path      p50 ms   p99 ms      req/s  errors");
  for (const clients of [1, 8]) {
    const d = await load(clients, viaDirect);
    const h = await load(clients, viaHub);
    console.log(`${String(clients).padStart(7)}  direct  ${fmt(d.p50)} ${fmt(d.p99)} ${fmt(d.rps).padStart(10)}  ${d.errors}`);
    console.log(`${String(clients).padStart(7)}  modelhub${fmt(h.p50)} ${fmt(h.p99)} ${fmt(h.rps).padStart(10)}  ${h.errors}`);
    console.log(`${String(clients).padStart(7)}  added p50 ${(h.p50 - d.p50).toFixed(3)} ms, p99 ${(h.p99 - d.p99).toFixed(3)} ms, throughput ratio ${(h.rps / d.rps).toFixed(3)}x`);
  }
} finally {
  server.kill("SIGTERM");
  await server.exited;
  Bun.spawnSync(["docker", "rm", "-f", direct]);
  rmSync(dataDir, { recursive: true, force: true });
}
