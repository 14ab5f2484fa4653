// Reads the labels `cog build` writes into an image and says what modelhub needs from them.
import { inputSchema, isOpenApiDocument } from "../contract/cog-schema.ts";
import { invalidInput } from "../errors.ts";
export { defaultModelName, MODEL_PART } from "../contract/model-name.ts";

export interface CogLabels {
  cogVersion: string;
  openapiSchema: Record<string, unknown>;
  config: CogConfig;
}

export interface CogConfig {
  build?: { gpu?: boolean; [k: string]: unknown };
  predict?: string;
  train?: string;
  concurrency?: { max?: number; default_target?: number };
  [k: string]: unknown;
}

function parseJsonLabel(labels: Record<string, string>, key: string, image: string): Record<string, unknown> {
  try {
    const v = JSON.parse(labels[key]);
    if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  throw invalidInput(`Image ${image} has a malformed ${key} label (not a JSON object); rebuild it with cog build.`);
}

/**
 * An image is a Cog image iff it carries run.cog.config (or the legacy org.cogmodel.config).
 * modelhub also needs the schema label: it validates inputs and builds forms from it without
 * starting a container.
 */
export function readCogLabels(labels: Record<string, string>, image: string): CogLabels {
  const configKey = labels["run.cog.config"] ? "run.cog.config" : labels["org.cogmodel.config"] ? "org.cogmodel.config" : null;
  const schemaKey = labels["run.cog.openapi_schema"] ? "run.cog.openapi_schema" : labels["org.cogmodel.openapi_schema"] ? "org.cogmodel.openapi_schema" : null;
  if (!configKey)
    throw invalidInput(
      `Image ${image} is not a Cog image: it has no run.cog.config label. Build it with \`cog build -t ${image}\` (images made by cog predict/serve carry no labels).`,
    );
  if (!schemaKey)
    throw invalidInput(
      `Image ${image} has no run.cog.openapi_schema label, so modelhub cannot tell its inputs and outputs. Rebuild it with \`cog build\` (cog 0.7 or newer).`,
    );
  const openapiSchema = parseJsonLabel(labels, schemaKey, image);
  const config = parseJsonLabel(labels, configKey, image) as CogConfig;
  // `cog build` of a cog.yaml with only `train:` makes an image whose schema has TrainingInput and no Input.
  if (config.train && !config.predict)
    throw invalidInput(
      `Image ${image} is a trainings-only Cog image (its cog.yaml has \`train\` but no \`predict\`): modelhub runs predictions, not trainings. Add a \`predict\` entry to cog.yaml and rebuild it.`,
    );
  if (!isOpenApiDocument(openapiSchema) || !inputSchema(openapiSchema))
    throw invalidInput(`Image ${image} has an OpenAPI schema without components.schemas.Input; rebuild it with a current cog.`);
  const cogVersion = labels["run.cog.version"] ?? labels["org.cogmodel.cog_version"] ?? "unknown";
  return { cogVersion, openapiSchema, config };
}
