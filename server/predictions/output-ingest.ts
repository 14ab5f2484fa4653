// Files in a container's output (from either path) become stored files linked to the prediction.
import { outputInfo } from "./output-schema.ts";
import type { ServiceDeps } from "./run-context.ts";
import type { PredictionRecord } from "./store.ts";

/**
 * Files in an output become stored files at capability URLs. Iterator items come as a list of
 * new items, which the Output (array) schema describes as well as the whole list.
 */
export async function ingestOutput(deps: ServiceDeps, value: unknown, rec: PredictionRecord): Promise<unknown> {
  const files = deps.files;
  if (!files || !files.needsIngest(value)) return value;
  const version = deps.catalog.findVersion(rec.versionId);
  const info = version ? outputInfo(version) : null;
  return files.ingestOutput(value, {
    predictionId: rec.id,
    origin: rec.origin ?? "",
    outputSchema: info?.schema,
    components: info?.components ?? {},
  });
}
