// Prediction latency and throughput benchmark (docs/benchmarks.md). One run measures, against the
// real engine and the modelhub-test images:
//   1. the same `hello` prediction (and a 4 ms one) sent directly to the container (POST
//      /predictions) and through modelhub (POST /v1/predictions, Prefer: wait) at 1 and 8
//      concurrent clients, on both Cog runtime lines (the Python-server and the coglet fixture
//      images): p50/p99, requests per second, what modelhub adds and the ratios. The container runs
//      one prediction at a time, so the direct clients share a FIFO lock (what modelhub's queue
//      does for its clients);
//   2. the cost of modelhub's async path (PUT + respond-async + webhook) against its sync path;
//   3. file outputs: data URL decoded by modelhub (sync) vs raw PUT to the upload URL (async);
//   4. file inputs: an uploaded file sent inline as a data URL vs fetched by URL;
//   5. the delay from the container reporting an output chunk (its webhook reaching modelhub) to
//      an SSE client seeing it.
// Run: MODELHUB_TEST_DOCKER=1 node_modules/.bin/bun test/bench/predictions.ts [--quick] [--proxy]
// (--proxy: part 1 only.)
import { RUNTIME_LINES, type LineModel, type RuntimeLine } from "../fixtures/runtime-lines.ts";
import { startLiveServer, type LiveServer } from "../helpers/live-server.ts";
import { measure, pct, type Result } from "./latency-sample.ts";
import { FifoLock } from "./fifo-lock.ts";
import { type Hub, startHub } from "./hub-process.ts";

const QUICK = process.argv.includes("--quick");
const PROXY_ONLY = process.argv.includes("--proxy");
const N = QUICK ? 150 : 600;

const f2 = (n: number) => n.toFixed(2);
const signed = (n: number) => (n >= 0 ? "+" : "") + f2(n);

/** Interleaves rounds of a and b so drift on a busy machine hits both alike; merges the samples. */
async function compare(conc: number, a: () => Promise<void>, b: () => Promise<void>, rounds = 3, total = N) {
  const ra: Result[] = [];
  const rb: Result[] = [];
  for (let i = 0; i < rounds; i++) {
    ra.push(await measure(conc, Math.ceil(total / rounds), a));
    rb.push(await measure(conc, Math.ceil(total / rounds), b));
  }
  const med = (rs: Result[], k: keyof Result) => pct(rs.map((r) => r[k]), 50);
  return {
    a: { p50: med(ra, "p50"), p99: med(ra, "p99"), rps: med(ra, "rps") },
    b: { p50: med(rb, "p50"), p99: med(rb, "p99"), rps: med(rb, "rps") },
  };
}

/** The loopback port of this hub's container of the version (another modelhub on the machine may run the same image), and what it runs. */
async function containerOf(s: Hub, versionId: string): Promise<{ port: number; cogServer: string }> {
  const { instances } = (await (await fetch(`${s.url}/v1/instances`)).json()) as { instances: { version: string; state: string; container_id: string; cog_server: string }[] };
  const inst = instances.find((i) => i.version === versionId && i.state === "ready");
  if (!inst) throw new Error(`no ready container of ${versionId}`);
  const out = Bun.spawnSync(["docker", "port", inst.container_id, "5000/tcp"]).stdout.toString();
  return { port: Number(/127\.0\.0\.1:(\d+)/.exec(out)![1]), cogServer: inst.cog_server };
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  const j = (await res.json()) as any;
  if (res.status >= 300 || (j.status && j.status !== "succeeded")) throw new Error(`${res.status} ${JSON.stringify(j).slice(0, 300)}`);
  return j;
}

function receiver() {
  // A user webhook receiver: asking for `logs` events is one way to send a prediction down the async path.
  const srv = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("ok") });
  return { url: `http://127.0.0.1:${srv.port}/hook`, stop: () => srv.stop(true) };
}

/** Warm proxy figures of one model on one runtime line: direct to its container vs through modelhub. */
async function proxyFigures(s: Hub, L: RuntimeLine, label: string, model: LineModel, input: Record<string, unknown>, total: number) {
  const version = await s.addModel(L.image(model), `bench/${L.prefix}${model}`);
  for (let i = 0; i < 30; i++) await post(`${s.url}/v1/predictions`, { version, input }, { prefer: "wait" });
  const container = await containerOf(s, version);
  if (!container.cogServer.startsWith(L.line)) throw new Error(`${L.image(model)} runs ${container.cogServer}, not the ${L.line} line`);
  const direct = `http://127.0.0.1:${container.port}/predictions`;
  const lock = new FifoLock();
  let n = 0;
  const viaDirect = () => lock.run(() => post(direct, { id: `bench${L.prefix}${n++}`, input })).then(() => {});
  const viaHub = () => post(`${s.url}/v1/predictions`, { version, input }, { prefer: "wait" }).then(() => {});
  for (let i = 0; i < 50; i++) await viaDirect();
  for (const c of [1, 8]) {
    const r = await compare(c, viaDirect, viaHub, 3, total);
    console.log(
      `${L.line.padEnd(6)} | ${label.padEnd(5)} | ${String(c).padStart(7)} | ${f2(r.a.p50)} / ${f2(r.a.p99)} | ${r.a.rps.toFixed(0)} | ${f2(r.b.p50)} / ${f2(r.b.p99)} | ${r.b.rps.toFixed(0)} | ` +
        `${signed(r.b.p50 - r.a.p50)} / ${signed(r.b.p99 - r.a.p99)} | ${(r.b.p50 / r.a.p50).toFixed(2)}x | ${(r.b.rps / r.a.rps).toFixed(3)}x`,
    );
  }
  return version;
}

async function latencyAndThroughput(s: Hub) {
  console.log("\n1. warm proxy: direct POST to the container vs through modelhub (Prefer: wait), per Cog runtime line");
  console.log("   hello: the fixture answers in ~0.3 ms; 4 ms: `slow` with seconds=0.004 (a real Cog hello takes ~4 ms)");
  console.log("line   | model | clients | direct p50 / p99 ms | req/s | modelhub p50 / p99 ms | req/s | added p50 / p99 ms | p50 ratio | throughput ratio");
  let hello = "";
  for (const L of RUNTIME_LINES) {
    const v = await proxyFigures(s, L, "hello", "hello", { text: "bench" }, N);
    if (L.line === "python") hello = v;
    await proxyFigures(s, L, "4 ms", "slow", { seconds: 0.004 }, Math.ceil(N / 3));
  }
  if (PROXY_ONLY) return;
  const viaHub = () => post(`${s.url}/v1/predictions`, { version: hello, input: { text: "bench" } }, { prefer: "wait" }).then(() => {});

  console.log("\n2. modelhub sync path vs async path (PUT + respond-async + webhook), hello, 1 client");
  const hook = receiver();
  const viaAsync = () =>
    post(`${s.url}/v1/predictions`, { version: hello, input: { text: "bench" }, webhook: hook.url, webhook_events_filter: ["logs"] }, { prefer: "wait" }).then(() => {});
  const r = await compare(1, viaHub, viaAsync);
  console.log(`sync p50 ${f2(r.a.p50)} ms p99 ${f2(r.a.p99)} | async p50 ${f2(r.b.p50)} ms p99 ${f2(r.b.p99)} | async costs ${f2(r.b.p50 - r.a.p50)} ms at p50`);
  hook.stop();
}

async function fileOutputs(s: Hub) {
  const v = await s.addModel("modelhub-test/image:latest", "bench/image");
  const hook = receiver();
  console.log("\n3. file output (PNG): sync path (data URL decoded by modelhub) vs async path (PUT to --upload-url), 1 client");
  console.log("image | PNG bytes | sync p50 ms | async p50 ms");
  for (const [w, h, grid] of [[256, 256, false], [1024, 1024, true]] as const) {
    const input = { width: w, height: h, grid };
    const first = await post(`${s.url}/v1/predictions`, { version: v, input }, { prefer: "wait" });
    const bytes = (await (await fetch(first.output)).arrayBuffer()).byteLength;
    const sync = () => post(`${s.url}/v1/predictions`, { version: v, input }, { prefer: "wait" }).then(() => {});
    const asyncP = () => post(`${s.url}/v1/predictions`, { version: v, input, webhook: hook.url, webhook_events_filter: ["logs"] }, { prefer: "wait" }).then(() => {});
    const r = await compareN(QUICK ? 30 : 90, sync, asyncP);
    console.log(`${w}x${h}${grid ? " grid" : ""} | ${bytes} | ${f2(r.a.p50)} | ${f2(r.b.p50)}`);
  }
  hook.stop();
  return v;
}

async function compareN(total: number, a: () => Promise<void>, b: () => Promise<void>) {
  const ra: Result[] = [];
  const rb: Result[] = [];
  for (let i = 0; i < 3; i++) {
    ra.push(await measure(1, Math.ceil(total / 3), a));
    rb.push(await measure(1, Math.ceil(total / 3), b));
  }
  return { a: { p50: pct(ra.map((x) => x.p50), 50) }, b: { p50: pct(rb.map((x) => x.p50), 50) } };
}

async function upload(s: Hub, bytes: number): Promise<string> {
  // Random bytes: nothing on the way can compress them.
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 65536) crypto.getRandomValues(data.subarray(i, Math.min(bytes, i + 65536)));
  const form = new FormData();
  form.append("content", new Blob([data], { type: "application/octet-stream" }), "in.bin");
  const res = await fetch(`${s.url}/v1/files`, { method: "POST", body: form });
  return ((await res.json()) as any).urls.get;
}

async function fileInputs() {
  console.log("\n4. file input: uploaded file sent inline (data URL) vs by URL from the callback listener, image model, 1 client");
  console.log("input bytes | inline p50 ms | by-URL p50 ms");
  const inline = await startHub({ "inline-input-size": "1g" });
  const byUrl = await startHub({ "inline-input-size": "0" });
  try {
    const vi = await inline.addModel("modelhub-test/image:latest", "bench/image");
    const vu = await byUrl.addModel("modelhub-test/image:latest", "bench/image");
    for (const size of [4 * 1024, 16 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024, 8 * 1024 * 1024]) {
      const ui = await upload(inline, size);
      const uu = await upload(byUrl, size);
      const input = (u: string) => ({ width: 256, height: 16, init_image: u });
      await post(`${inline.url}/v1/predictions`, { version: vi, input: input(ui) }, { prefer: "wait" });
      await post(`${byUrl.url}/v1/predictions`, { version: vu, input: input(uu) }, { prefer: "wait" });
      const r = await compareN(QUICK ? 15 : 45, () => post(`${inline.url}/v1/predictions`, { version: vi, input: input(ui) }, { prefer: "wait" }).then(() => {}), () => post(`${byUrl.url}/v1/predictions`, { version: vu, input: input(uu) }, { prefer: "wait" }).then(() => {}));
      console.log(`${size} | ${f2(r.a.p50)} | ${f2(r.b.p50)}`);
    }
  } finally {
    await inline.stop();
    await byUrl.stop();
  }
}

async function sseDelay(s: LiveServer) {
  const v = await s.addModel("modelhub-test/stream:latest", "bench/stream");
  await post(`${s.url}/v1/predictions`, { version: v, input: { prompt: "warm", count: 2 } }, { prefer: "wait" });
  const delays: number[] = [];
  for (let run = 0; run < (QUICK ? 3 : 8); run++) {
    const res = await fetch(`${s.url}/v1/predictions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ version: v, input: { prompt: "a b c d", count: 20 } }) });
    const p = (await res.json()) as any;
    // When the container's webhooks reached modelhub, and how many items the output had then.
    const reports: { at: number; items: number }[] = [];
    const unsub = s.events.subscribe(p.id, (e) => {
      if (e.kind === "output" && e.reportedAt !== undefined) reports.push({ at: e.reportedAt, items: (e.prediction.output as unknown[]).length });
    });
    const stream = await fetch(p.urls.stream, { headers: { accept: "text/event-stream" } });
    const reader = stream.body!.getReader();
    const dec = new TextDecoder();
    let buf = "";
    let seen = 0;
    const live: number[] = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const now = performance.now();
      buf += dec.decode(value, { stream: true });
      let i: number;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const ev = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (!ev.startsWith("event: output")) continue;
        seen++;
        // Only events that arrived live (not the replay at connect): the report carrying item `seen`.
        const rep = reports.find((r) => r.items >= seen);
        if (rep && now >= rep.at) live.push(now - rep.at);
      }
    }
    unsub();
    delays.push(...live);
  }
  console.log("\n5. container output chunk (webhook reaches modelhub) → SSE client sees it");
  console.log(`events ${delays.length} | p50 ${f2(pct(delays, 50))} ms | p99 ${f2(pct(delays, 99))} ms | max ${f2(Math.max(...delays))} ms`);
}

if (process.env.MODELHUB_TEST_DOCKER !== "1") {
  console.log("set MODELHUB_TEST_DOCKER=1 (needs the Docker engine and the modelhub-test images)");
  process.exit(0);
}
console.log(`modelhub prediction benchmark — ${N} predictions per measurement, Bun ${Bun.version}, ${navigator.hardwareConcurrency} CPUs`);
const hub = await startHub();
try {
  await latencyAndThroughput(hub);
  if (!PROXY_ONLY) await fileOutputs(hub);
} finally {
  await hub.stop();
}
if (PROXY_ONLY) process.exit(0);
await fileInputs();
// In-process: the delay is measured from modelhub's own record of when the container reported.
const s = await startLiveServer({ "idle-timeout": "600" });
try {
  await sseDelay(s);
} finally {
  await s[Symbol.asyncDispose]();
}
