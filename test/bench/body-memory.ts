// Benchmark: memory of large JSON requests, with the --body-memory budget and without it (a budget
// so large nothing ever waits). Each run is a fresh `modelhub serve` (no Docker needed: the
// requests name a version that does not exist, so each body is read and parsed whole, then 404).
// Prints idle RSS, peak RSS (VmHWM) over `clients` concurrent 50 MB bodies, and RSS after.
//
//   node_modules/.bin/bun run test/bench/body-memory.ts [clients=4] [mb=50]
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveChild } from "../helpers/serve-child.ts";

const CLIENTS = Number(process.argv[2] ?? 4);
const MB = Number(process.argv[3] ?? 50);

const mib = (n: number) => `${Math.round(n / 2 ** 20)} MiB`;
const status = (pid: number, key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;

async function run(budget: string): Promise<{ idle: number; peak: number; after: number; statuses: number[]; ms: number }> {
  const dir = mkdtempSync(join(tmpdir(), "modelhub-bench-body-"));
  const child = await serveChild(dir, ["--callback-host", "off", "--body-memory", budget]);
  try {
    await Bun.sleep(500);
    const idle = status(child.proc.pid, "VmRSS");
    const body = JSON.stringify({ version: "0".repeat(64), input: { text: "x".repeat(MB * 1000 * 1000) } });
    const t0 = performance.now();
    const statuses = await Promise.all(
      Array.from({ length: CLIENTS }, () =>
        fetch(`${child.url}/v1/predictions`, { method: "POST", headers: { "content-type": "application/json" }, body }).then(async (r) => (await r.arrayBuffer(), r.status)),
      ),
    );
    const ms = performance.now() - t0;
    const peak = status(child.proc.pid, "VmHWM");
    Bun.gc(true);
    await Bun.sleep(2000);
    return { idle, peak, after: status(child.proc.pid, "VmRSS"), statuses, ms };
  } finally {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`${CLIENTS} concurrent JSON bodies of ${MB} MB each (POST /v1/predictions, parsed whole, then 404)`);
for (const [label, budget] of [["no budget (--body-memory 64g)", "64g"], ["--body-memory 1g (default)", "1g"], ["--body-memory 512m", "512m"]] as const) {
  const r = await run(budget);
  console.log(
    `${label.padEnd(32)} idle ${mib(r.idle)}, peak ${mib(r.peak)} (+${mib(r.peak - r.idle)}), after ${mib(r.after)}, ${Math.round(r.ms)} ms, statuses ${[...new Set(r.statuses)].join(",")}`,
  );
}
