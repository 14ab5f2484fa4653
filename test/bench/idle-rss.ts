// Benchmark: idle RSS of the real `modelhub serve`, right after start and after a load run, against
// a bare `Bun.serve` hello world compiled the same way, measured in the same run.
//
//   node_modules/.bin/bun run test/bench/idle-rss.ts            # builds dist/modelhub first
//   node_modules/.bin/bun run test/bench/idle-rss.ts --no-build # uses the dist/modelhub there is
//
// Each process gets a fresh temp data folder and its defaults (auth on: the admin token it writes is
// used). RSS is read from /proc (VmRSS, split into anonymous and file-backed pages) 3 s and ~15 s after
// start and after the load run. The load run is 1,000 predictions of
// modelhub-test/hello from 50 clients (Prefer: wait) plus 1,000 list/get reads, when the Docker engine
// answers; reads only otherwise. The baseline gets the same number of requests.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");
const BUN = process.execPath;
const BIN = join(ROOT, "dist/modelhub");
const PREDICTIONS = 1_000;
const CLIENTS = 50;
const READS = 1_000;

interface Mem {
  rss: number;
  anon: number;
  file: number;
}
function mem(pid: number): Mem {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)![1]) / 1024;
  return { rss: kb("VmRSS"), anon: kb("RssAnon"), file: kb("RssFile") };
}
const fmt = (m: Mem) => `${m.rss.toFixed(1)} MB (anon ${m.anon.toFixed(1)}, file-backed ${m.file.toFixed(1)})`;

async function waitForUrl(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`exited before listening: ${text}`);
    text += new TextDecoder().decode(value);
    const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(text);
    if (m) {
      void (async () => {
        while (!(await reader.read()).done);
      })();
      return m[1];
    }
  }
}

async function dockerAnswers(): Promise<boolean> {
  try {
    const res = await fetch("http://localhost/_ping", { unix: "/var/run/docker.sock" } as RequestInit);
    return res.ok;
  } catch {
    return false;
  }
}

async function pool(n: number, clients: number, one: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < n) await one(next++);
  }));
}

const tmp = mkdtempSync(join(tmpdir(), "modelhub-bench-rss-"));
const procs: Bun.Subprocess[] = [];
try {
  if (!process.argv.includes("--no-build")) {
    const b = Bun.spawnSync([BUN, "run", join(ROOT, "cli/build.ts")], { stdout: "inherit", stderr: "inherit" });
    if (b.exitCode !== 0) throw new Error("build failed");
  }
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run without --no-build`);

  // Baseline: the smallest Bun HTTP server, compiled the same way as modelhub.
  const helloSrc = join(tmp, "hello.ts");
  writeFileSync(helloSrc, `const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => Response.json({ hello: "world" }) });\nconsole.log(\`http://127.0.0.1:\${s.port}\`);\n`);
  const hb = Bun.spawnSync([BUN, "build", "--compile", "--production", "--minify", helloSrc, "--outfile", join(tmp, "hello")], { stdout: "ignore", stderr: "inherit" });
  if (hb.exitCode !== 0) throw new Error("building the baseline failed");
  const hello = Bun.spawn([join(tmp, "hello")], { stdout: "pipe", stderr: "pipe" });
  procs.push(hello);
  const helloUrl = await waitForUrl(hello.stdout);

  const dataDir = join(tmp, "data");
  const mh = Bun.spawn([BIN, "serve", "--port", "0", "--data-dir", dataDir], { stdout: "ignore", stderr: "pipe", env: { ...process.env, MODELHUB_LOG_LEVEL: "warn" } });
  procs.push(mh);
  const url = await waitForUrl(mh.stderr);
  const auth = { authorization: `Bearer ${readFileSync(join(dataDir, "admin-token"), "utf8").trim()}`, "content-type": "application/json" };

  const line = (when: string, h: Mem, m: Mem) => console.log(`${when.padEnd(22)} hello world ${fmt(h)}; modelhub ${fmt(m)}; modelhub − hello ${(m.rss - h.rss).toFixed(1)} MB, ${(m.rss / h.rss).toFixed(2)}×`);
  await Bun.sleep(3000);
  line("3 s after start:", mem(hello.pid), mem(mh.pid));
  // modelhub gives back what start-up took once it has been quiet for 5–10 s (idle-memory.ts).
  await Bun.sleep(9000);
  line("12 s after start:", mem(hello.pid), mem(mh.pid));

  // The load run.
  const withDocker = await dockerAnswers();
  let predicted = 0;
  const t0 = performance.now();
  if (withDocker) {
    const add = await fetch(`${url}/v1/models/bench/hello/versions`, { method: "POST", headers: auth, body: JSON.stringify({ image: "modelhub-test/hello:latest" }) });
    if (add.status >= 300) throw new Error(`adding modelhub-test/hello failed: ${add.status} ${await add.text()} (build it: bun run test/fixtures/build-images.ts hello)`);
    await pool(PREDICTIONS, CLIENTS, async (i) => {
      const r = await fetch(`${url}/v1/predictions`, { method: "POST", headers: { ...auth, prefer: "wait" }, body: JSON.stringify({ version: "bench/hello", input: { text: `n${i}` } }) });
      const body = (await r.json()) as { status?: string };
      if (body.status === "succeeded") predicted++;
    });
    await pool(PREDICTIONS, CLIENTS, () => fetch(helloUrl, { method: "POST", body: "{}" }).then((r) => r.arrayBuffer()).then(() => {}));
  }
  const paths = ["/v1/models", "/v1/predictions", "/v1/predictions?cursor=bad", "/v1/models/bench/hello", "/health", "/metrics", "/v1/nothing"];
  await pool(READS, 8, (i) => fetch(`${url}${paths[i % paths.length]}`, { headers: auth }).then((r) => r.arrayBuffer()).then(() => {}));
  await pool(READS, 8, () => fetch(helloUrl).then((r) => r.arrayBuffer()).then(() => {}));
  const loadSeconds = (performance.now() - t0) / 1000;
  const peak = { modelhub: Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${mh.pid}/status`, "utf8"))![1]) / 1024 };
  console.log(`load run: ${withDocker ? `${predicted}/${PREDICTIONS} predictions from ${CLIENTS} clients + ${READS} reads` : `${READS} reads (no Docker engine: no predictions)`} in ${loadSeconds.toFixed(1)} s; modelhub peak RSS ${peak.modelhub.toFixed(1)} MB`);
  await Bun.sleep(3000);
  line("3 s after the load:", mem(hello.pid), mem(mh.pid));
  await Bun.sleep(12_000);
  line("15 s after the load:", mem(hello.pid), mem(mh.pid));
} finally {
  for (const p of procs) p.kill("SIGTERM");
  await Promise.all(procs.map((p) => p.exited));
  rmSync(tmp, { recursive: true, force: true });
}
