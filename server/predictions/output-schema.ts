// What a version's Output schema says about streaming: is it an iterator, and are its values files
// (so the stream URL goes under /v1/files/, where the JS client wraps chunks in FileOutput)?
import type { Version } from "../catalog/catalog.ts";

export interface OutputInfo {
  schema: unknown;
  components: Record<string, unknown>;
  iterator: boolean;
  fileOutput: boolean;
}

/** By version id: a version's schema never changes. */
const cache = new Map<string, OutputInfo>();

export function outputInfo(v: Version): OutputInfo {
  const hit = cache.get(v.id);
  if (hit) return hit;
  const components = ((v.openapiSchema.components as { schemas?: Record<string, unknown> } | undefined)?.schemas ?? {}) as Record<string, unknown>;
  const resolve = (s: unknown): Record<string, unknown> | undefined => {
    let node = s as Record<string, unknown> | undefined;
    for (let i = 0; i < 10 && node && typeof node === "object"; i++) {
      if (typeof node.$ref === "string") node = components[node.$ref.split("/").pop()!] as Record<string, unknown> | undefined;
      else if (Array.isArray(node.allOf) && node.allOf.length === 1) node = node.allOf[0] as Record<string, unknown>;
      else break;
    }
    return node;
  };
  const out = resolve(components.Output);
  const iterator = out?.type === "array" && out["x-cog-array-type"] === "iterator";
  const leaf = out?.type === "array" ? resolve(out.items) : out;
  const info: OutputInfo = { schema: components.Output, components, iterator, fileOutput: leaf?.format === "uri" };
  cache.set(v.id, info);
  return info;
}

