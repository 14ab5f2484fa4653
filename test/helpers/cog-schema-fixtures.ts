// Loads the real Cog schemas kept in test/fixtures/cog-schemas.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const COG_SCHEMAS = resolve(import.meta.dir, "../fixtures/cog-schemas");

export function loadSchema(file: string): Record<string, unknown> {
  const p = join(COG_SCHEMAS, file);
  if (!existsSync(p)) throw new Error(`schema fixture missing: ${p}`);
  return JSON.parse(readFileSync(p, "utf8"));
}

/** Labels as `cog build` writes them, for a schema. */
export function cogLabels(schema: Record<string, unknown>, config: Record<string, unknown> = { build: { gpu: false }, predict: "predict.py:Predictor" }) {
  return {
    "run.cog.version": "0.13.6",
    "run.cog.config": JSON.stringify(config),
    "run.cog.openapi_schema": JSON.stringify(schema),
    "run.cog.has_init": "true",
  };
}
