// Imports a local Docker image into the catalog: inspect it, read its Cog labels, store a version.
import { AppError, badRequest, invalidInput, unavailable } from "../errors.ts";
import { parseImageReference } from "../runtime/image-ref.ts";
import { DockerUnavailableError, ImageNotFoundError, InvalidImageReferenceError, type ContainerRuntime } from "../runtime/runtime.ts";
import type { Catalog, Version } from "./catalog.ts";
import { defaultModelName, readCogLabels } from "./cog-labels.ts";

export async function importImage(
  runtime: ContainerRuntime,
  catalog: Catalog,
  image: string,
  name?: string,
): Promise<{ version: Version; created: boolean }> {
  if (!image || /\s/.test(image)) throw invalidInput("image must be a Docker image reference such as acme/hello:latest", [
    { field: "image", rule: "required", message: "is required" },
  ]);
  // Checked here for every runtime (the fake one in tests too), before anything reaches an engine.
  const parsed = parseImageReference(image);
  if ("error" in parsed) throw badRequest(parsed.error);
  let info;
  try {
    info = await runtime.inspectImage(image);
  } catch (err) {
    if (err instanceof DockerUnavailableError) throw unavailable(err.message, "docker_unavailable");
    if (err instanceof InvalidImageReferenceError) throw badRequest(err.message);
    if (err instanceof ImageNotFoundError) throw new AppError(404, "Image not found", err.message);
    throw err;
  }
  const labels = readCogLabels(info.labels, image);
  return catalog.addVersion(name ?? defaultModelName(image), {
    id: info.digest,
    image,
    cogVersion: labels.cogVersion,
    openapiSchema: labels.openapiSchema,
    config: labels.config,
  });
}
