// Keeps docs/architecture.md true. Its import table is the only copy of the rules: this test parses
// it and checks every runtime and type-only import of server/, web/ and cli/ against it. Its folder
// table must name every folder, and every file path the document mentions must exist.
import { describe, expect, it } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const DOC_PATH = "docs/architecture.md";
const DOC = readFileSync(join(ROOT, DOC_PATH), "utf8");
const IMPORT_SECTION = "Which folder may import which";
const FOLDER_SECTION = "Folders and what they hold";

/** The text of a `## title` section, up to the next `## `. */
function section(title: string): string {
  const start = DOC.indexOf(`## ${title}\n`);
  if (start < 0) throw new Error(`${DOC_PATH} has no "## ${title}" section`);
  const end = DOC.indexOf("\n## ", start + 1);
  return DOC.slice(start, end < 0 ? undefined : end);
}

/** Body rows of the section's table, as cells (header and separator dropped). */
function tableRows(title: string): string[][] {
  const rows = section(title)
    .split("\n")
    .filter((l) => l.startsWith("|"))
    .map((l) => l.slice(1, l.lastIndexOf("|")).split("|").map((c) => c.trim()));
  return rows.slice(2);
}

const ticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
const norm = (p: string) => p.replace(/\/$/, "").replace(/\.(tsx?|html|json)$/, "");

interface Rule {
  runtime: string[];
  types: string[];
}

/** layer (folder or file, without extension) → what its imports may reach. */
const RULES = new Map<string, Rule>();
for (const [layers, runtime, types] of tableRows(IMPORT_SECTION)) {
  for (const layer of ticked(layers)) RULES.set(norm(layer), { runtime: ticked(runtime).map(norm), types: ticked(types ?? "").map(norm) });
}

function layerOf(rel: string): string | null {
  const p = norm(rel);
  const keys = [...RULES.keys()].sort((a, b) => b.length - a.length);
  return keys.find((k) => p === k || p.startsWith(k + "/")) ?? null;
}

function matches(rule: string, target: string): boolean {
  if (rule.endsWith("/*")) return target.startsWith(rule.slice(0, -1));
  if (rule === "node:*") return target.startsWith("node:");
  const t = norm(target);
  return t === rule || t.startsWith(rule + "/");
}

function allowed(from: string, target: string, kind: "runtime" | "type"): boolean {
  const own = layerOf(from);
  if (!own) return false;
  if (layerOf(target) === own) return true;
  const rule = RULES.get(own)!;
  return rule.runtime.some((r) => matches(r, target)) || (kind === "type" && rule.types.some((r) => matches(r, target)));
}

/** Module specifiers imported for types only: `import type`, `export type … from`, all-`type` braces, `import("…")` types. */
function typeImports(src: string): string[] {
  const out: string[] = [];
  for (const m of src.matchAll(/^\s*(?:import|export)\s+type\s[^;]*?\bfrom\s*["']([^"']+)["']/gm)) out.push(m[1]);
  for (const m of src.matchAll(/^\s*import\s*\{([^}]*)\}\s*from\s*["']([^"']+)["']/gm)) {
    const names = m[1].split(",").map((n) => n.trim()).filter(Boolean);
    if (names.length && names.every((n) => n.startsWith("type "))) out.push(m[2]);
  }
  for (const m of src.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) out.push(m[1]);
  return out;
}

function* sourceFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* sourceFiles(p);
    else if (/\.tsx?$/.test(name)) yield p;
  }
}

describe("import rules (the table in docs/architecture.md)", () => {
  const runtime: string[] = [];
  const types: string[] = [];
  const transpiler = new Bun.Transpiler({ loader: "tsx", tsconfig: { compilerOptions: { jsx: "react-jsx", jsxImportSource: "preact" } } });
  for (const top of ["server", "web", "cli"]) {
    for (const file of sourceFiles(join(ROOT, top))) {
      const rel = relative(ROOT, file);
      if (!layerOf(rel)) {
        runtime.push(`${rel}: not in any layer of the import table`);
        continue;
      }
      const src = readFileSync(file, "utf8").replace(/^#!.*/, "");
      const target = (spec: string) => (spec.startsWith(".") ? relative(ROOT, resolve(dirname(file), spec)) : spec);
      // Bun's scanner sees what runs: it drops type-only imports.
      for (const imp of transpiler.scanImports(src)) if (!allowed(rel, target(imp.path), "runtime")) runtime.push(`${rel} imports ${target(imp.path)}`);
      for (const spec of typeImports(src)) if (!allowed(rel, target(spec), "type")) types.push(`${rel} imports types from ${target(spec)}`);
    }
  }

  it("the table is there and names every layer", () => {
    for (const layer of ["server/contract", "server/cog", "server/scheduler", "server/predictions", "server/http", "web", "cli"]) expect(RULES.has(layer)).toBe(true);
  });

  it("every runtime import follows the table", () => {
    expect(runtime).toEqual([]);
  });

  it("every type-only import follows the table", () => {
    expect(types).toEqual([]);
  });

  it("server/contract takes only `t` (and types) from elysia", () => {
    const bad: string[] = [];
    for (const file of sourceFiles(join(ROOT, "server/contract"))) {
      const src = readFileSync(file, "utf8");
      for (const m of src.matchAll(/^import\s+(type\s+)?([^;]*?)\s+from\s+["']elysia(\/[^"']*)?["']/gm)) {
        if (m[1]) continue;
        const names = /^\{([^}]*)\}$/.exec(m[2].trim())?.[1].split(",").map((n) => n.trim()).filter((n) => n && !n.startsWith("type "));
        if (m[3] || !names || names.some((n) => n !== "t")) bad.push(`${relative(ROOT, file)}: ${m[0]}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("the check itself catches forbidden imports, runtime and type-only", () => {
    expect(allowed("server/scheduler/scheduler.ts", "server/db/database.ts", "runtime")).toBe(false);
    expect(allowed("web/main.tsx", "server/server.ts", "runtime")).toBe(false);
    expect(allowed("server/http/v1/models.ts", "server/catalog/catalog.ts", "runtime")).toBe(true);
    // Types only where the third column says so.
    expect(allowed("server/catalog/policy.ts", "server/scheduler/run-spec.ts", "type")).toBe(true);
    expect(allowed("server/catalog/policy.ts", "server/scheduler/scheduler.ts", "runtime")).toBe(false);
    expect(allowed("server/files/prediction-files.ts", "server/predictions/ports.ts", "type")).toBe(true);
    expect(allowed("server/files/prediction-files.ts", "server/predictions/service.ts", "type")).toBe(false);
    expect(allowed("server/scheduler/scheduler.ts", "server/predictions/store.ts", "type")).toBe(false);
    expect(typeImports('import type { A } from "./a.ts";\nimport { type B, type C } from "./b.ts";\nimport { D, type E } from "./d.ts";\nlet x: import("./f.ts").F;')).toEqual(["./a.ts", "./b.ts", "./f.ts"]);
  });
});

describe("docs/architecture.md names what exists", () => {
  it("the folder table names every folder under server/ and every file directly in it", () => {
    const named = new Set(tableRows(FOLDER_SECTION).flatMap(([first]) => ticked(first).map(norm)));
    const missing: string[] = [];
    for (const name of readdirSync(join(ROOT, "server"))) {
      const rel = norm(`server/${name}`);
      if (!named.has(rel)) missing.push(rel);
    }
    for (const top of ["web", "cli", "test"]) if (!named.has(top)) missing.push(top);
    expect(missing).toEqual([]);
  });

  it("every file the folder table mentions exists in its folder", () => {
    const gone: string[] = [];
    for (const [first, holds] of tableRows(FOLDER_SECTION)) {
      const folders = ticked(first).map(norm).filter((f) => existsSync(join(ROOT, f)) && statSync(join(ROOT, f)).isDirectory());
      const files = folders.flatMap((f) => [...allFiles(join(ROOT, f))].map((p) => relative(join(ROOT, f), p)));
      for (const name of ticked(holds)) {
        if (name.includes("/") || !/\.(tsx?)$/.test(name)) continue;
        const re = new RegExp(`(^|/)${name.replace(/[.]/g, "\\.").replace(/\*/g, "[^/]*")}$`);
        if (folders.length && !files.some((f) => re.test(f))) gone.push(`${ticked(first).join(", ")}: ${name}`);
      }
    }
    expect(gone).toEqual([]);
  });

  it("every repository path the document mentions exists (the import table may name folders to come)", () => {
    const text = DOC.replace(section(IMPORT_SECTION), "");
    const gone = ticked(text)
      .filter((p) => /^(server|web|cli|test|docs)\/[\w./*-]*$/.test(p))
      .filter((p) => !existsSync(join(ROOT, p.replace(/\/\*$/, ""))) && !(p.includes("*") && globExists(p)));
    expect([...new Set(gone)]).toEqual([]);
  });
});

function* allFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* allFiles(p);
    else yield p;
  }
}

function globExists(pattern: string): boolean {
  const dir = join(ROOT, dirname(pattern));
  const re = new RegExp(`^${basename(pattern).replace(/[.]/g, "\\.").replace(/\*/g, ".*")}$`);
  return existsSync(dir) && readdirSync(dir).some((n) => re.test(n));
}
