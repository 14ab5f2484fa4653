// The repository explains itself: no file outside docs/ points at reference material kept beside it
// (the shared specs folder) or at numbered sections of outside specs; comments point at docs/ instead.
// The fixtures tests read live in test/fixtures/, so a clean clone runs the suite on its own.
import { describe, expect, it } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
// Not the repository's own text: dependencies, build output, scratch space, git.
const SKIP = new Set(["node_modules", ".git", "dist", ".tmp", "modelhub-data", "docs"]);
const TEXT = /\.(tsx?|jsx?|mjs|json|md|sh|py|html|css|ya?ml|txt|go)$|(^|\/)Dockerfile[^/]*$/;
// Written escaped so this file does not match itself.
const FORBIDDEN: [RegExp, string][] = [
  [/\.\.\/shared\b|\/work\/shared\b|\bshared\/(specs|fixtures|docs)\b/, "a path into the shared folder beside the repository"],
  [/\u00a7/, "a section sign (a numbered section of an outside spec)"],
];

function* textFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name) && dir === ROOT) continue;
    if (name === "node_modules") continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* textFiles(p);
    else if (TEXT.test(p)) yield p;
  }
}

describe("the repository is self-contained", () => {
  it("no file outside docs/ refers to the shared folder or to outside spec sections", () => {
    const found: string[] = [];
    for (const file of textFiles(ROOT)) {
      const lines = readFileSync(file, "utf8").split("\n");
      lines.forEach((line, i) => {
        for (const [re, what] of FORBIDDEN) if (re.test(line)) found.push(`${relative(ROOT, file)}:${i + 1}: ${what}`);
      });
    }
    expect(found).toEqual([]);
  });

  it("the check itself catches both kinds of reference", () => {
    expect(FORBIDDEN[0][0].test(["see ..", "shared", "specs", "cog-protocol.md"].join("/"))).toBe(true);
    expect(FORBIDDEN[1][0].test("(cog-protocol \u00a72.4)")).toBe(true);
    expect(FORBIDDEN.some(([re]) => re.test("see docs/cog-protocol.md, Webhooks"))).toBe(false);
  });
});
