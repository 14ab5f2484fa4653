// Keeps docs/architecture.md's import rules true: each folder imports only what the table allows.
// Bun.Transpiler.scanImports ignores `import type`, so types may cross layers; runtime code may not.
import { describe, expect, it } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");

/** layer → layers (or packages) its runtime imports may reach. Mirrors docs/architecture.md. */
const RULES: Record<string, string[]> = {
  // elysia for `t` only (checked below): the wire schemas are plain JSON Schema values.
  "server/contract": ["server/contract", "elysia"],
  "server/config": ["server/contract"],
  "server/errors": ["server/contract"],
  "server/log": [],
  "server/metrics": [],
  "server/db": ["bun:sqlite", "server/errors", "node:*"],
  "server/runtime": ["dockerode", "server/errors", "server/contract", "node:*"],
  "server/scheduler": ["server/runtime", "server/errors", "server/log"],
  "server/catalog": ["server/db", "server/runtime", "server/contract", "server/errors"],
  "server/predictions": ["server/scheduler", "server/catalog", "server/runtime", "server/db", "server/contract", "server/errors", "server/log"],
  "server/files": ["server/db", "server/errors", "node:*"],
  "server/webhooks": ["server/db", "server/errors", "server/log", "node:*"],
  "server/http": ["elysia", "server/catalog", "server/predictions", "server/scheduler", "server/runtime", "server/files", "server/webhooks", "server/contract", "server/errors", "server/log", "web/index.html", "node:zlib"],
  "server/app": ["elysia", "server/*"],
  "server/server": ["server/*", "node:*"],
  "server/services": ["server/*"],
  // "react": Bun's scanner lists it for JSX fragments even with jsxImportSource preact; the bundle uses preact.
  web: ["react", "preact", "preact/hooks", "preact/jsx-runtime", "preact/jsx-dev-runtime", "server/contract/openapi-input", "server/contract/model-name"],
  cli: ["cli/*", "server/contract", "server/config", "package.json", "node:*"],
  "cli/commands/serve": ["server/server", "server/config"],
  "cli/build": ["bun"],
};

function layerOf(rel: string): string | null {
  const noExt = rel.replace(/\.(tsx?|html|json)$/, "");
  const keys = Object.keys(RULES).sort((a, b) => b.length - a.length);
  return keys.find((k) => noExt === k || noExt.startsWith(k + "/")) ?? null;
}

function allowed(from: string, target: string): boolean {
  const own = layerOf(from)!;
  if (layerOf(target) === own) return true;
  return RULES[own].some((rule) => {
    if (rule.endsWith("/*")) return target.startsWith(rule.slice(0, -1));
    if (rule === "node:*") return target.startsWith("node:");
    return target === rule || target.startsWith(rule + "/") || target.replace(/\.(tsx?|html|json)$/, "") === rule;
  });
}

function* sourceFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* sourceFiles(p);
    else if (/\.tsx?$/.test(name)) yield p;
  }
}

describe("architecture", () => {
  const violations: string[] = [];
  const transpiler = new Bun.Transpiler({ loader: "tsx", tsconfig: { compilerOptions: { jsx: "react-jsx", jsxImportSource: "preact" } } });
  for (const top of ["server", "web", "cli"]) {
    for (const file of sourceFiles(join(ROOT, top))) {
      const rel = relative(ROOT, file);
      if (!layerOf(rel)) {
        violations.push(`${rel}: not in any layer of the import table`);
        continue;
      }
      for (const imp of transpiler.scanImports(readFileSync(file, "utf8").replace(/^#!.*/, ""))) {
        const target = imp.path.startsWith(".") ? relative(ROOT, resolve(dirname(file), imp.path)) : imp.path;
        if (!allowed(rel, target)) violations.push(`${rel} imports ${target}`);
      }
    }
  }

  it("every runtime import follows the table in docs/architecture.md", () => {
    expect(violations).toEqual([]);
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

  it("the check itself catches a forbidden import", () => {
    expect(allowed("server/scheduler/scheduler.ts", "server/db/database.ts")).toBe(false);
    expect(allowed("web/main.tsx", "server/server.ts")).toBe(false);
    expect(allowed("server/http/v1/models.ts", "server/catalog/catalog.ts")).toBe(true);
  });
});
