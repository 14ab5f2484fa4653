// What a container is sent for inputs the user set to `null`. coglet validates strictly against the
// JSON Schema and answers 422 to an explicit `null` for a `nullable` input; every Cog server treats
// a missing optional input as its default. So a `null` whose default is null (or unset) is left
// out, which means the same to every server; a `null` overriding a non-null default is kept.
import type { Version } from "../catalog/catalog.ts";
import type { OpenApiDocument } from "../contract/cog-schema.ts";

interface InputSchema {
  required?: string[];
  properties?: Record<string, { default?: unknown }>;
}

export function withoutNullDefaults(input: Record<string, unknown>, version: Version): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  const doc: OpenApiDocument = version.openapiSchema;
  const schema = (doc.components?.schemas?.Input ?? {}) as InputSchema;
  const required = new Set(schema.required ?? []);
  for (const [k, v] of Object.entries(input)) {
    if (v !== null || required.has(k)) continue;
    const def = schema.properties?.[k]?.default;
    if (def !== undefined && def !== null) continue;
    out ??= { ...input };
    delete out[k];
  }
  return out ?? input;
}
