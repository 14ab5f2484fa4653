// Benchmark: a data folder the size of a busy team's (100 models, 100,000 predictions), served by
// `modelhub serve` in its own process. Prints, in one run:
//   - start-up: process spawn → "serving on", against the same with an empty data folder (ratio),
//     from source and, when built (npm run build), the compiled dist/modelhub, which serves the rest
//   - idle RSS right after start, and after a burst of list/get requests once things settle
//   - p50/p99 of GET /v1/models, /v1/models/{o}/{n}, /v1/predictions (a page), /v1/predictions/{id},
//     each with its ratio to GET /health on the same server (the baseline: same stack, no work)
// No Docker needed: the catalog rows are written straight into SQLite first.
//
//   node_modules/.bin/bun run test/bench/catalog-scale.ts [models=100] [predictions=100000] [requests=300]
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Catalog } from "../../server/catalog/catalog.ts";
import { readCogLabels } from "../../server/catalog/cog-labels.ts";
import { openDatabase } from "../../server/db/database.ts";
import { PredictionStore, type PredictionRecord } from "../../server/predictions/store.ts";
import { cogLabels } from "../fixtures/cog-server/labels.ts";
import { MODELS } from "../fixtures/cog-server/models/index.ts";

const MODEL_COUNT = Number(process.argv[2] ?? 100);
const PREDICTIONS = Number(process.argv[3] ?? 100_000);
const REQUESTS = Number(process.argv[4] ?? 300);
const ROOT = join(import.meta.dir, "../..");

function fill(dataDir: string): { models: string[]; predictionIds: string[] } {
  const db = openDatabase(join(dataDir, "modelhub.db"));
  const catalog = new Catalog(db);
  const store = new PredictionStore(db);
  const labels = readCogLabels(cogLabels(MODELS.hello, { gpu: false }), "bench/hello");
  const models: string[] = [];
  for (let i = 0; i < MODEL_COUNT; i++) {
    const name = `team${i % 7}/model-${i}`;
    const id = new Bun.CryptoHasher("sha256").update(name).digest("hex");
    catalog.addVersion(name, { id, image: `bench/${i}:latest`, cogVersion: labels.cogVersion, openapiSchema: labels.openapiSchema, config: labels.config });
    models.push(name);
  }
  const versions = models.map((m) => new Bun.CryptoHasher("sha256").update(m).digest("hex"));
  const ids: string[] = [];
  const t0 = Date.parse("2026-01-01T00:00:00Z");
  db.transaction(() => {
    for (let i = 0; i < PREDICTIONS; i++) {
      const created = new Date(t0 + i * 1000).toISOString();
      const id = `bench${i.toString(36).padStart(8, "0")}${"x".repeat(10)}`;
      const rec: PredictionRecord = {
        id, model: models[i % MODEL_COUNT], versionId: versions[i % MODEL_COUNT], input: { text: `n${i}` }, output: `hello n${i}`,
        logs: "", error: null, status: "succeeded", source: "api", createdAt: created, startedAt: created, completedAt: created,
        metrics: { predict_time: 0.01 }, webhook: null, webhookEventsFilter: null, deployment: null, deadline: null, instanceId: null,
        streamToken: `s${i}`, origin: null, fileOutput: false,
      };
      store.insert(rec);
      if (i % 1000 === 0) ids.push(id);
    }
  })();
  db.close();
  return { models, predictionIds: ids };
}

/** `modelhub serve` from source (bun cli/main.ts), or the compiled binary when `bin` is given. */
async function serve(dataDir: string, bin?: string) {
  const t = performance.now();
  const proc = Bun.spawn([...(bin ? [bin] : [process.execPath, join(ROOT, "cli/main.ts")]), "serve", "--port", "0", "--data-dir", dataDir, "--log-level", "error", "--gpus", "none", "--retention-days", "0", "--auth", "off"], {
    stdout: "ignore",
    stderr: "pipe",
  });
  const reader = proc.stderr.getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`serve exited: ${text}`);
    text += new TextDecoder().decode(value);
    const m = /serving on (http:\/\/\S+)/.exec(text);
    if (m) {
      void (async () => {
        while (!(await reader.read()).done);
      })();
      return { proc, url: m[1], startMs: performance.now() - t };
    }
  }
}

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function timeGets(url: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    const res = await fetch(url);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
    out.push(performance.now() - t);
  }
  return out;
}

const full = mkdtempSync(join(tmpdir(), "modelhub-bench-scale-"));
const empty = mkdtempSync(join(tmpdir(), "modelhub-bench-empty-"));
try {
  const t = performance.now();
  const { models, predictionIds } = fill(full);
  if (process.env.BENCH_FILL_ONLY) {
    rmSync(empty, { recursive: true, force: true });
    console.log(full);
    process.exit(0);
  }
  console.log(`filled ${MODEL_COUNT} models and ${PREDICTIONS} predictions in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  // Baseline for start-up: a compiled Bun.serve hello world, spawn → listening.
  const helloDir = mkdtempSync(join(tmpdir(), "modelhub-bench-hello-"));
  writeFileSync(join(helloDir, "hello.ts"), `const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("hi") });\nconsole.error(\`serving on http://127.0.0.1:\${s.port}\`);\n`);
  Bun.spawnSync([process.execPath, "build", "--compile", "--minify", join(helloDir, "hello.ts"), "--outfile", join(helloDir, "hello")], { stdout: "ignore" });
  const helloStarts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const h = await serve(empty, join(helloDir, "hello"));
    helloStarts.push(h.startMs);
    h.proc.kill("SIGTERM");
    await h.proc.exited;
  }
  rmSync(helloDir, { recursive: true, force: true });
  console.log(`start-up of a compiled Bun.serve hello world (baseline), median of 5: ${pct(helloStarts, 50).toFixed(0)} ms`);

  // Start-up, interleaved empty/full, 5 times each: from source, and the compiled binary when built.
  const bin = join(ROOT, "dist/modelhub");
  for (const [label, exe] of [["from source", undefined], ...(existsSync(bin) ? [["dist/modelhub", bin]] : [])] as [string, string | undefined][]) {
    const starts = { empty: [] as number[], full: [] as number[] };
    for (let i = 0; i < 5; i++) {
      for (const [kind, dir] of [["empty", empty], ["full", full]] as const) {
        const s = await serve(dir, exe);
        starts[kind].push(s.startMs);
        s.proc.kill("SIGTERM");
        await s.proc.exited;
      }
    }
    const med = (xs: number[]) => pct(xs, 50);
    console.log(`start-up ${label} (spawn → listening), median of 5: empty ${med(starts.empty).toFixed(0)} ms, full ${med(starts.full).toFixed(0)} ms (${(med(starts.full) / med(starts.empty)).toFixed(2)}× empty, ${(med(starts.full) / pct(helloStarts, 50)).toFixed(1)}× hello world)`);
  }

  const s = await serve(full, existsSync(bin) ? bin : undefined);
  await Bun.sleep(1500);
  const idleStart = rssMb(s.proc.pid);
  const rows: [string, string][] = [
    ["GET /v1/models", "/v1/models"],
    ["GET /v1/models/{o}/{n}", `/v1/models/${models[42]}`],
    ["GET /v1/predictions", "/v1/predictions"],
    ["GET /v1/predictions/{id}", `/v1/predictions/${predictionIds[37]}`],
  ];
  // Warm-up: every path once hot before any is timed (the binary starts with the JIT held back).
  for (const [, path] of [["", "/health"], ...rows]) for (let i = 0; i < 50; i++) await (await fetch(`${s.url}${path}`)).arrayBuffer();
  const base = await timeGets(`${s.url}/health`);
  console.log(`GET /health (baseline): p50 ${pct(base, 50).toFixed(2)} ms, p99 ${pct(base, 99).toFixed(2)} ms`);
  for (const [label, path] of rows) {
    const xs = await timeGets(`${s.url}${path}`);
    console.log(`${label}: p50 ${pct(xs, 50).toFixed(2)} ms, p99 ${pct(xs, 99).toFixed(2)} ms (p50 ${(pct(xs, 50) / pct(base, 50)).toFixed(1)}× /health)`);
  }
  await Bun.sleep(3000);
  console.log(`idle RSS: ${idleStart.toFixed(1)} MB after start, ${rssMb(s.proc.pid).toFixed(1)} MB after ${REQUESTS * 5 + 250} requests and 3 s idle`);
  s.proc.kill("SIGTERM");
  await s.proc.exited;
} finally {
  if (!process.env.BENCH_FILL_ONLY) rmSync(full, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
}
