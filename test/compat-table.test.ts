// docs/cog-protocol.md's compatibility table (runtime line × feature) names a test in each cell:
// every name must be a test in the file its short name stands for, and the end-to-end files said to
// run once per line must take their lines from test/fixtures/runtime-lines.ts.
import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const doc = readFileSync(join(ROOT, "docs/cog-protocol.md"), "utf8");
const section = doc.slice(doc.indexOf("## Compatibility: runtime line × feature"), doc.indexOf("## Adding a runtime line"));

/** short name → file, from the section's own legend (`name` = `path`). */
const files = new Map([...section.matchAll(/`([a-z0-9-]+)` = `(test\/[^`]+)`/g)].map((m) => [m[1], m[2]]));
const PER_LINE = ["e2e", "live", "files", "client"];

/** [short name, test name] pairs of the table's cells; a name follows the short name before it. */
function citations(): [string, string][] {
  const out: [string, string][] = [];
  for (const row of section.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| feature") && !l.startsWith("| ---"))) {
    for (const cell of row.split(" | ").slice(1)) {
      let current = "";
      for (const m of cell.matchAll(/(?:\b([a-z][a-z0-9-]*)\s+)?"([^"]+)"/g)) {
        if (m[1] && files.has(m[1])) current = m[1];
        if (current) out.push([current, m[2]]);
      }
    }
  }
  return out;
}

describe("docs/cog-protocol.md compatibility table", () => {
  it("has a legend naming every test file it cites, and rows citing tests", () => {
    expect([...files.keys()]).toEqual(expect.arrayContaining([...PER_LINE, "coglet-live", "core", "coglet-core"]));
    expect(citations().length).toBeGreaterThan(30);
  });

  it("cites only tests that exist in the named file", () => {
    const missing: string[] = [];
    for (const [short, name] of citations()) {
      const source = readFileSync(join(ROOT, files.get(short)!), "utf8");
      // "…" shortens a name; "(python line)" and the like are written as `(${L.line} line)` in the file.
      const head = name.split("…")[0].replace(/ \((python|coglet) line\)$/, "");
      if (!source.includes(head)) missing.push(`${short} "${name}"`);
    }
    expect(missing).toEqual([]);
  });

  it("runs the end-to-end files once per runtime line", () => {
    for (const short of PER_LINE) {
      const source = readFileSync(join(ROOT, files.get(short)!), "utf8");
      expect(source).toContain('from "../fixtures/runtime-lines.ts"');
      expect(source).toContain("for (const L of RUNTIME_LINES)");
    }
  });
});
