// Style rules for server/ that a reviewer should not have to count: no file over 400 lines (a file
// that long holds more than one thing), no `as unknown as` (a cast that switches the type checker
// off; model the value instead), and no file named for its kind rather than what it holds.
import { describe, expect, it } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const MAX_LINES = 400;
// Names that say what kind of code a file is, not what it holds.
const VAGUE_NAMES = /^(core|types|deps|utils?|helpers?|misc|common)\.tsx?$|-deps\.tsx?$/;

function* sourceFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* sourceFiles(p);
    else if (/\.tsx?$/.test(name)) yield p;
  }
}

const files = [...sourceFiles(join(ROOT, "server"))].map((p) => ({ rel: relative(ROOT, p), src: readFileSync(p, "utf8") }));

describe("server/ code rules", () => {
  it(`no file is over ${MAX_LINES} lines`, () => {
    const long = files.map((f) => ({ file: f.rel, lines: f.src.split("\n").length - (f.src.endsWith("\n") ? 1 : 0) })).filter((f) => f.lines > MAX_LINES);
    expect(long).toEqual([]);
  });

  it("no `as unknown as` cast", () => {
    const casts = files.flatMap((f) => f.src.split("\n").flatMap((line, i) => (/\bas\s+unknown\s+as\b/.test(line) ? [`${f.rel}:${i + 1}`] : [])));
    expect(casts).toEqual([]);
  });

  it("no file is named for its kind (core.ts, types.ts, deps.ts, …-deps.ts)", () => {
    expect(files.map((f) => f.rel).filter((rel) => VAGUE_NAMES.test(rel.slice(rel.lastIndexOf("/") + 1)))).toEqual([]);
  });
});
