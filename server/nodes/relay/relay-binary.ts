// Which executable becomes the relay image: the running `modelhub` binary itself (compiled by
// `npm run build`; the image runs `modelhub relay`), or, when modelhub runs from sources
// (`bun cli/main.ts`, the tests), the relay entry point compiled once into a cache folder.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RelayBinary } from "./relay-image.ts";

const compiled = () => import.meta.path.startsWith("/$bunfs/") || Bun.main.startsWith("/$bunfs/");

export async function relayBinary(cacheDir = join(tmpdir(), "modelhub-relay")): Promise<RelayBinary> {
  if (compiled()) return { path: process.execPath, args: ["relay"] };
  const dir = import.meta.dir;
  const h = createHash("sha256").update(`${Bun.version} ${Bun.revision}`);
  for (const f of readdirSync(dir).sort()) if (f.endsWith(".ts")) h.update(f).update(readFileSync(join(dir, f)));
  const out = join(cacheDir, `modelhub-relay-${h.digest("hex").slice(0, 16)}`);
  if (!existsSync(out)) {
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    const proc = Bun.spawn([process.execPath, "build", "--compile", join(dir, "main.ts"), "--outfile", tmp], { stdout: "ignore", stderr: "pipe" });
    const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) throw new Error(`compiling the relay failed: ${err}`);
    renameSync(tmp, out);
  }
  return { path: out, args: [] };
}
