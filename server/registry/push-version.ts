// A manifest pushed by tag that is a runnable Cog image becomes a catalog version: the model is
// created when missing, the version is keyed by the platform image-manifest digest (so a child, an
// attestation and an index written to one tag, or Cog's cog-image.<tag> then <tag>, are one version),
// and the engine is asked to pull it. Attestations and artifacts are stored and make no version.
import { readFileSync } from "node:fs";
import { type Catalog, parseModelName } from "../catalog/catalog.ts";
import { readCogLabels } from "../catalog/cog-labels.ts";
import { AppError } from "../errors.ts";
import type { BlobFiles } from "./blob-files.ts";
import { denied, manifestInvalid, nameInvalid } from "./distribution-errors.ts";
import { isRunnableImage, type ParsedManifest, parseManifest, platformChild } from "./manifest-rules.ts";
import { splitModelRepository } from "./reference.ts";
import type { RegistryStore } from "./registry-store.ts";

export interface PushedImage {
  /** the platform image manifest's digest, "sha256:…" */
  manifestDigest: string;
  configDigest: string;
}

/** The runnable image a tag push names, or null for attestations and artifacts. */
export function runnableImage(parsed: ParsedManifest, digest: string, files: BlobFiles, store: RegistryStore, repo: string): PushedImage | null {
  if (parsed.kind === "image") return isRunnableImage(parsed) ? { manifestDigest: digest, configDigest: parsed.config.digest } : null;
  const child = platformChild(parsed);
  if (!child) return null;
  const row = store.manifestIn(repo, child.digest);
  if (!row) return null;
  const childManifest = parseManifest(readFileSync(files.path(child.digest)), row.media_type);
  return childManifest.kind === "image" && isRunnableImage(childManifest) ? { manifestDigest: child.digest, configDigest: childManifest.config.digest } : null;
}

interface ImageConfig {
  os?: string;
  config?: { Labels?: Record<string, string> | null };
}

/**
 * Records the version for a runnable image pushed to `repo` by tag. Throws MANIFEST_INVALID for an
 * image without Cog labels (Docker prints the message), NAME_INVALID for a name that is not
 * owner/model, DENIED when the image is already another model's version.
 */
export function recordVersion(
  catalog: Catalog,
  files: BlobFiles,
  repo: string,
  image: PushedImage,
  imageRef: string,
): { versionId: string; created: boolean } {
  const parts = splitModelRepository(repo);
  if (!parts) throw nameInvalid(`modelhub catalogues images as <owner>/<model>; push to <host>/<owner>/<model>, not ${repo}`);
  try {
    parseModelName(repo);
  } catch (err) {
    throw nameInvalid(err instanceof AppError ? err.detail : String(err));
  }
  let config: ImageConfig;
  try {
    config = JSON.parse(readFileSync(files.path(image.configDigest), "utf8"));
  } catch {
    throw manifestInvalid(`modelhub: the image config ${image.configDigest} is not valid JSON`);
  }
  let labels;
  try {
    labels = readCogLabels(config.config?.Labels ?? {}, repo);
  } catch (err) {
    // readCogLabels explains what is missing; in registry terms it is an invalid manifest.
    const detail = err instanceof AppError ? err.detail : String(err);
    throw manifestInvalid(`modelhub: not a Cog image (${detail.replace(/^Image \S+ /, "it ")}) Build it with \`cog build\` and push again.`);
  }
  const versionId = image.manifestDigest.slice("sha256:".length);
  const existing = catalog.findVersion(versionId);
  if (existing && existing.model !== repo)
    throw denied(`modelhub: this image is already version ${versionId.slice(0, 12)} of ${existing.model}; one image belongs to one model (rebuild it to publish it under ${repo})`);
  const { created } = catalog.addVersion(repo, {
    id: versionId,
    image: imageRef,
    cogVersion: labels.cogVersion,
    openapiSchema: labels.openapiSchema,
    config: labels.config,
  });
  return { versionId, created };
}
