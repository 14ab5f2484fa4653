// What a version's Output schema says about streaming: is it an iterator, and are its values files
// (so the stream URL goes under /v1/files/, where the JS client wraps chunks in FileOutput)?
import type { Version } from "../catalog/catalog.ts";
import { type OpenApiDocument, outputKind } from "../contract/cog-schema.ts";

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
  const doc: OpenApiDocument = v.openapiSchema;
  const components = doc.components?.schemas ?? {};
  // The one output rule of server/contract, the same the web form and the tests use.
  const { iterator, fileOutput } = outputKind(doc);
  const info: OutputInfo = { schema: components.Output, components, iterator, fileOutput };
  cache.set(v.id, info);
  return info;
}

