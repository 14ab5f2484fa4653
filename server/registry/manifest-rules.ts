// What a pushed manifest is and what it references: image manifests (Docker v2, OCI), manifest
// lists and OCI indexes. Pure; the bytes themselves are stored untouched, this only reads them.
import { manifestInvalid } from "./distribution-errors.ts";
import { isSha256Digest } from "./reference.ts";

export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
export const DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const SCHEMA1 = /application\/vnd\.docker\.distribution\.manifest\.v1\+(prettyjws|json)/;
const IMAGE_CONFIGS = new Set(["application/vnd.docker.container.image.v1+json", "application/vnd.oci.image.config.v1+json"]);

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  platform?: { os?: string; architecture?: string; variant?: string };
  annotations?: Record<string, string>;
  artifactType?: string;
}

export type ParsedManifest =
  | { kind: "image"; mediaType: string; config: Descriptor; layers: Descriptor[]; artifactType?: string; subject?: Descriptor }
  | { kind: "index"; mediaType: string; manifests: Descriptor[]; subject?: Descriptor };

function descriptor(v: unknown, where: string): Descriptor {
  const d = v as Descriptor;
  if (!d || typeof d !== "object" || typeof d.digest !== "string" || typeof d.size !== "number")
    throw manifestInvalid(`${where} is not a descriptor with digest and size`);
  if (!isSha256Digest(d.digest)) throw manifestInvalid(`${where} has digest ${d.digest}; modelhub stores sha256 content only`);
  return d;
}

/** Parses and checks a manifest; `contentType` is the request's, falling back to the body's mediaType. */
export function parseManifest(bytes: Uint8Array, contentType: string | null): ParsedManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw manifestInvalid("the manifest is not valid JSON");
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw manifestInvalid("the manifest is not a JSON object");
  const declared = typeof doc.mediaType === "string" ? doc.mediaType : null;
  const header = contentType?.split(";")[0].trim() || null;
  const mediaType = header && header !== "application/json" && header !== "application/octet-stream" ? header : declared;
  if (mediaType && SCHEMA1.test(mediaType)) throw manifestInvalid("schema 1 manifests are not supported; push with a current Docker or cog");
  if (declared && mediaType && declared !== mediaType) throw manifestInvalid(`the manifest says mediaType ${declared} but was sent as ${mediaType}`);
  const subject = doc.subject === undefined ? undefined : descriptor(doc.subject, "subject");
  if (mediaType === DOCKER_MANIFEST || mediaType === OCI_MANIFEST || (!mediaType && doc.config)) {
    if (doc.schemaVersion !== 2) throw manifestInvalid("an image manifest needs schemaVersion 2");
    if (!Array.isArray(doc.layers)) throw manifestInvalid("an image manifest needs a layers array");
    return {
      kind: "image",
      mediaType: mediaType ?? OCI_MANIFEST,
      config: descriptor(doc.config, "config"),
      layers: doc.layers.map((l, i) => descriptor(l, `layers[${i}]`)),
      artifactType: typeof doc.artifactType === "string" ? doc.artifactType : undefined,
      subject,
    };
  }
  if (mediaType === DOCKER_LIST || mediaType === OCI_INDEX || (!mediaType && doc.manifests)) {
    if (doc.schemaVersion !== 2) throw manifestInvalid("an index needs schemaVersion 2");
    if (!Array.isArray(doc.manifests)) throw manifestInvalid("an index needs a manifests array");
    return { kind: "index", mediaType: mediaType ?? OCI_INDEX, manifests: doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`)), subject };
  }
  throw manifestInvalid(`unsupported manifest media type ${mediaType ?? "(none)"}`);
}

/** Digests that must already be in the repository: blobs for an image, child manifests for an index. */
export function requiredBlobs(m: ParsedManifest): { blobs: string[]; manifests: string[] } {
  if (m.kind === "image") return { blobs: [m.config.digest, ...m.layers.map((l) => l.digest)], manifests: [] };
  return { blobs: [], manifests: m.manifests.map((d) => d.digest) };
}

/** An image manifest that a container could run (not an attestation or an artifact). */
export function isRunnableImage(m: ParsedManifest): boolean {
  return m.kind === "image" && !m.artifactType && IMAGE_CONFIGS.has(m.config.mediaType ?? "") && !m.layers.some((l) => /in-toto/.test(l.mediaType ?? ""));
}

const ENGINE_ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x" };
export const hostArchitecture = () => ENGINE_ARCH[process.arch] ?? process.arch;

/** The child of an index this machine would run: linux on the host's architecture, never an attestation. */
export function platformChild(m: ParsedManifest & { kind: "index" }, arch = hostArchitecture()): Descriptor | null {
  const candidates = m.manifests.filter(
    (d) =>
      d.annotations?.["vnd.docker.reference.type"] !== "attestation-manifest" &&
      d.platform?.os !== "unknown" &&
      (d.mediaType === undefined || d.mediaType === DOCKER_MANIFEST || d.mediaType === OCI_MANIFEST),
  );
  return candidates.find((d) => d.platform?.os === "linux" && d.platform.architecture === arch) ?? candidates.find((d) => !d.platform) ?? null;
}
