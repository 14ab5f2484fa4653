// Benchmark: the warm proxy path against the container directly and against nginx as a plain reverse
// proxy to the same container, at 1 and 8 clients, in one run (docs/benchmarks.md).
//
//   MODELHUB_TEST_DOCKER=1 node_modules/.bin/bun run test/bench/proxy-nginx.ts [predictions per line, default 600]
//
// - the container: modelhub-test/hello (answers in ~0.3 ms), started by modelhub and kept warm;
// - direct: POST /predictions to the container's published port;
// - nginx: Debian's nginx-light (/usr/sbin/nginx), one worker, its own config, pid and logs in a temp
//   folder, listening on 127.0.0.1, proxy_pass to the same port with upstream keep-alive, no cache,
//   access log off; run in the foreground (daemon off) and stopped at the end;
// - modelhub: POST /v1/predictions with Prefer: wait, in its own process (test/bench/serve.ts).
// The container runs one prediction at a time (409 when busy), so direct and nginx clients share a
// FIFO lock, the queueing modelhub does itself. Rounds are interleaved (direct, nginx, modelhub, ×3)
// and each figure is the median of its rounds.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { measure, pct, type Result } from "./latency-sample.ts";
import { FifoLock } from "./fifo-lock.ts";
import { startHub } from "./hub-process.ts";

const NGINX = "/usr/sbin/nginx";
const N = Number(process.argv[2] ?? 600);
const ROUNDS = 3;

const f2 = (n: number) => n.toFixed(2);

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  const j = (await res.json()) as { status?: string; output?: unknown };
  if (res.status >= 300 || j.status !== "succeeded") throw new Error(`${url}: ${res.status} ${JSON.stringify(j).slice(0, 300)}`);
  return j;
}

function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/** nginx as a plain reverse proxy to 127.0.0.1:upstream, everything it writes inside `dir`. */
async function startNginx(dir: string, upstream: number) {
  const port = freePort();
  for (const d of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(
    join(dir, "nginx.conf"),
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream cog { server 127.0.0.1:${upstream}; keepalive 16; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://cog;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  const proc = Bun.spawn([NGINX, "-p", dir, "-e", join(dir, "error.log"), "-c", join(dir, "nginx.conf"), "-g", "daemon off;"], { stdout: "inherit", stderr: "inherit" });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`nginx exited: ${readFileSync(join(dir, "error.log"), "utf8")}`);
    if (await fetch(url).then(() => true, () => false)) break;
    await Bun.sleep(50);
  }
  return {
    url,
    version: new TextDecoder().decode(Bun.spawnSync([NGINX, "-v"]).stderr).trim(),
    stop: async () => {
      proc.kill("SIGQUIT");
      await proc.exited;
    },
  };
}

function containerPort(versionId: string): number {
  const id = Bun.spawnSync(["docker", "ps", "-q", "--filter", `label=dev.modelhub.version=${versionId}`]).stdout.toString().trim().split("\n")[0];
  return Number(/127\.0\.0\.1:(\d+)/.exec(Bun.spawnSync(["docker", "port", id, "5000/tcp"]).stdout.toString())![1]);
}

if (process.env.MODELHUB_TEST_DOCKER !== "1") {
  console.error("needs the Docker engine: MODELHUB_TEST_DOCKER=1 node_modules/.bin/bun run test/bench/proxy-nginx.ts");
  process.exit(2);
}
if (!existsSync(NGINX)) {
  console.error(`${NGINX} is missing: apt-get install nginx-light`);
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), "modelhub-bench-nginx-"));
const hub = await startHub();
let nginx: Awaited<ReturnType<typeof startNginx>> | undefined;
try {
  const version = await hub.addModel("modelhub-test/hello:latest", "bench/hello");
  for (let i = 0; i < 30; i++) await post(`${hub.url}/v1/predictions`, { version, input: { text: "warm" } }, { prefer: "wait" });
  const port = containerPort(version);
  nginx = await startNginx(dir, port);

  const lock = new FifoLock();
  let n = 0;
  const paths: [string, () => Promise<void>][] = [
    ["direct", () => lock.run(() => post(`http://127.0.0.1:${port}/predictions`, { id: `d${n++}`, input: { text: "bench" } })).then(() => {})],
    ["nginx", () => lock.run(() => post(`${nginx!.url}/predictions`, { id: `n${n++}`, input: { text: "bench" } })).then(() => {})],
    ["modelhub", () => post(`${hub.url}/v1/predictions`, { version, input: { text: "bench" } }, { prefer: "wait" }).then(() => {})],
  ];
  for (const [, one] of paths) for (let i = 0; i < 50; i++) await one();

  console.log(`${nginx.version}; hello fixture; ${N} predictions per line in ${ROUNDS} interleaved rounds; load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  console.log("clients | direct p50 / p99 ms, req/s | nginx p50 / p99 ms, req/s | modelhub p50 / p99 ms, req/s | added p50 nginx / modelhub | throughput nginx / modelhub (× direct) | modelhub ÷ nginx p50");
  for (const c of [1, 8]) {
    const rounds = paths.map(() => [] as Result[]);
    for (let r = 0; r < ROUNDS; r++) for (const [i, [, one]] of paths.entries()) rounds[i].push(await measure(c, Math.ceil(N / ROUNDS), one));
    const [d, x, m] = rounds.map((rs) => ({ p50: pct(rs.map((r) => r.p50), 50), p99: pct(rs.map((r) => r.p99), 50), rps: pct(rs.map((r) => r.rps), 50) }));
    const cell = (r: Result) => `${f2(r.p50)} / ${f2(r.p99)}, ${r.rps.toFixed(0)}`;
    console.log(
      `${String(c).padStart(7)} | ${cell(d)} | ${cell(x)} | ${cell(m)} | +${f2(x.p50 - d.p50)} / +${f2(m.p50 - d.p50)} | ${(x.rps / d.rps).toFixed(2)}× / ${(m.rps / d.rps).toFixed(2)}× | ${(m.p50 / x.p50).toFixed(2)}×`,
    );
  }
  console.log(`load average after: ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
} finally {
  await nginx?.stop();
  await hub.stop();
  rmSync(dir, { recursive: true, force: true });
}
