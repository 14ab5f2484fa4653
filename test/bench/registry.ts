// Benchmark: push and pull throughput of one large random layer through modelhub's registry (/v2/)
// and through Debian's docker-registry (distribution 2.8) on the same machine, in the same run,
// interleaved. The client is curl in its own process, sending what Docker 20.10 sends: POST, one
// PATCH with the whole layer (chunked, no Content-Length), PUT ?digest=; then a GET of the blob.
// Peak RSS of each server process is sampled every 50 ms from /proc during each transfer.
//
//   node_modules/.bin/bun run test/bench/registry.ts [size-MiB=1024] [repetitions=2]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");
const SIZE_MIB = Number(process.argv[2] ?? 1024);
const REPS = Number(process.argv[3] ?? 2);

function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = s.port;
  s.stop(true);
  return p;
}

function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

async function waitUp(url: string) {
  for (let i = 0; i < 200; i++) {
    const r = await fetch(`${url}/v2/`).catch(() => null);
    if (r?.status === 200) return;
    await Bun.sleep(100);
  }
  throw new Error(`${url} did not come up`);
}

async function curl(args: string[]): Promise<string> {
  const p = Bun.spawn(["curl", "-sS", "--fail-with-body", ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`curl ${args.join(" ")}: ${err} ${out}`);
  return out;
}

/** CPU seconds (user + system, every thread) the process has used so far. */
function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/**
 * Runs fn while sampling the server's RSS; returns seconds, peak MiB and the server's CPU seconds.
 * On a loaded machine the wall time mostly measures the scheduler; CPU per GiB measures the server.
 */
async function measured(pid: number, fn: () => Promise<void>): Promise<{ s: number; peak: number; cpu: number }> {
  let peak = rssMiB(pid);
  const t = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 50);
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  await fn();
  const s = (performance.now() - t0) / 1000;
  clearInterval(t);
  return { s, peak: Math.max(peak, rssMiB(pid)), cpu: cpuSeconds(pid) - c0 };
}

async function pushPull(base: string, pid: number, repo: string, file: string, digest: string) {
  const abs = (loc: string) => (loc.startsWith("http") ? loc : `${base}${loc}`);
  const push = await measured(pid, async () => {
    const headers = await curl(["-D", "-", "-o", "/dev/null", "-X", "POST", `${base}/v2/${repo}/blobs/uploads/`]);
    const loc = abs(/^location:\s*(\S+)/im.exec(headers)![1]);
    const patched = await curl(["-D", "-", "-o", "/dev/null", "-X", "PATCH", "-H", "Transfer-Encoding: chunked", "-H", "Content-Type:", "-T", file, loc]);
    const loc2 = abs(/^location:\s*(\S+)/im.exec(patched)![1]);
    await curl(["-o", "/dev/null", "-X", "PUT", "-H", "Content-Length: 0", `${loc2}${loc2.includes("?") ? "&" : "?"}digest=${digest}`]);
  });
  const pull = await measured(pid, async () => {
    await curl(["-o", "/dev/null", `${base}/v2/${repo}/blobs/${digest}`]);
  });
  return { push, pull };
}

const dir = mkdtempSync(join(tmpdir(), "modelhub-bench-registry-"));
const procs: ReturnType<typeof Bun.spawn>[] = [];
try {
  // the layer: random bytes, written in 16 MiB blocks
  const file = join(dir, "layer.bin");
  const w = Bun.file(file).writer();
  const block = new Uint8Array(16 * 1024 * 1024);
  for (let i = 0; i < SIZE_MIB / 16; i++) {
    for (let o = 0; o < block.length; o += 65536) crypto.getRandomValues(block.subarray(o, o + 65536));
    w.write(block);
  }
  await w.end();
  const digest = `sha256:${(await curlDigest(file))}`;

  const mhPort = freePort();
  const mh = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), "serve", "--auth", "off", "--port", String(mhPort), "--data-dir", join(dir, "modelhub")], {
    stdout: "ignore",
    stderr: "ignore",
  });
  procs.push(mh);
  const regPort = freePort();
  writeFileSync(join(dir, "config.yml"), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/distribution\nhttp:\n  addr: 127.0.0.1:${regPort}\n`);
  const reg = Bun.spawn(["docker-registry", "serve", join(dir, "config.yml")], { stdout: "ignore", stderr: "ignore" });
  procs.push(reg);
  const servers = [
    { name: "modelhub", base: `http://127.0.0.1:${mhPort}`, pid: mh.pid },
    { name: "docker-registry 2.8", base: `http://127.0.0.1:${regPort}`, pid: reg.pid },
  ];
  for (const s of servers) await waitUp(s.base);
  console.log(`layer ${SIZE_MIB} MiB, ${REPS} repetitions, interleaved; idle RSS: ${servers.map((s) => `${s.name} ${rssMiB(s.pid).toFixed(0)} MiB`).join(", ")}`);
  const results = new Map<string, { push: number[]; pull: number[]; pushCpu: number[]; pullCpu: number[]; peak: number }>(
    servers.map((s) => [s.name, { push: [], pull: [], pushCpu: [], pullCpu: [], peak: 0 }]),
  );
  for (let r = 0; r < REPS; r++)
    for (const s of r % 2 ? [...servers].reverse() : servers) {
      const x = await pushPull(s.base, s.pid, `bench/layer${r}`, file, digest);
      const acc = results.get(s.name)!;
      acc.push.push(SIZE_MIB / x.push.s);
      acc.pull.push(SIZE_MIB / x.pull.s);
      acc.pushCpu.push((x.push.cpu * 1024) / SIZE_MIB);
      acc.pullCpu.push((x.pull.cpu * 1024) / SIZE_MIB);
      acc.peak = Math.max(acc.peak, x.push.peak, x.pull.peak);
      console.log(`  rep ${r + 1} ${s.name}: push ${(SIZE_MIB / x.push.s).toFixed(0)} MiB/s, pull ${(SIZE_MIB / x.pull.s).toFixed(0)} MiB/s, server CPU ${x.push.cpu.toFixed(2)} s + ${x.pull.cpu.toFixed(2)} s, peak RSS ${Math.max(x.push.peak, x.pull.peak).toFixed(0)} MiB`);
    }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log("\n| server | push MiB/s (median) | pull MiB/s (median) | server CPU s/GiB push, pull (median) | peak RSS MiB |\n| --- | --- | --- | --- | --- |");
  for (const [name, r] of results)
    console.log(`| ${name} | ${median(r.push).toFixed(0)} | ${median(r.pull).toFixed(0)} | ${median(r.pushCpu).toFixed(2)}, ${median(r.pullCpu).toFixed(2)} | ${r.peak.toFixed(0)} |`);
  const [m, d] = [results.get("modelhub")!, results.get("docker-registry 2.8")!];
  console.log(`\nmodelhub / docker-registry: push ${(median(m.push) / median(d.push)).toFixed(2)}×, pull ${(median(m.pull) / median(d.pull)).toFixed(2)}×`);
  console.log(`CPU per GiB, modelhub / docker-registry: push ${(median(m.pushCpu) / median(d.pushCpu)).toFixed(2)}×, pull ${(median(m.pullCpu) / median(d.pullCpu)).toFixed(2)}× (lower is better)`);
  console.log(`load average at the end: ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
} finally {
  for (const p of procs) p.kill();
  await Promise.all(procs.map((p) => p.exited));
  rmSync(dir, { recursive: true, force: true });
}

async function curlDigest(file: string): Promise<string> {
  const p = Bun.spawn(["sha256sum", file], { stdout: "pipe" });
  return (await new Response(p.stdout).text()).split(" ")[0];
}
