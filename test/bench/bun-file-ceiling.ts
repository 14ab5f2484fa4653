// The ceiling of Bun itself for a file response, to read the registry's pull figure against:
// a bare Bun.serve answering `new Response(Bun.file(p))` (sendfile) for one large file, fetched by
// curl in its own process, as test/bench/registry.ts fetches blobs.
//   node_modules/.bin/bun run test/bench/bun-file-ceiling.ts [MiB=1024] [repetitions=5]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SIZE_MIB = Number(process.argv[2] ?? 1024);
const REPS = Number(process.argv[3] ?? 5);
const dir = mkdtempSync(join(tmpdir(), "modelhub-bench-bunfile-"));
try {
  const file = join(dir, "blob.bin");
  const w = Bun.file(file).writer();
  const block = new Uint8Array(16 << 20);
  for (let o = 0; o < block.length; o += 65536) crypto.getRandomValues(block.subarray(o, o + 65536));
  for (let i = 0; i < SIZE_MIB / 16; i++) w.write(block);
  await w.end();
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(Bun.file(file)) });
  const speeds: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const curl = Bun.spawn(["curl", "-s", "-o", "/dev/null", "-w", "%{speed_download}", `http://127.0.0.1:${server.port}/`], { stdout: "pipe" });
    speeds.push(Number(await new Response(curl.stdout).text()) / (1 << 20));
  }
  server.stop(true);
  speeds.sort((a, b) => a - b);
  console.log(`bare Bun.serve, ${SIZE_MIB} MiB file response to curl, ${REPS} tries: median ${speeds[Math.floor(REPS / 2)].toFixed(0)} MiB/s (min ${speeds[0].toFixed(0)}, max ${speeds[REPS - 1].toFixed(0)})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
