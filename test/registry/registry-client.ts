// Small helpers that speak the distribution API to an in-process app (app.handle) the way the
// real clients do: blobs, configs with Cog labels, manifests of each media type.
import type { TestApp } from "../helpers/test-app.ts";

export const sha = (b: Uint8Array | string) => `sha256:${new Bun.CryptoHasher("sha256").update(b).digest("hex")}`;
export const enc = (s: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(s);

export const COG_LABELS = {
  "run.cog.version": "0.13.6",
  "run.cog.config": JSON.stringify({ build: { gpu: false, python_version: "3.11" }, predict: "predict.py:Predictor" }),
  "run.cog.openapi_schema": JSON.stringify({
    openapi: "3.0.2",
    components: { schemas: { Input: { type: "object", properties: { text: { type: "string" } }, required: ["text"] }, Output: { type: "string" } } },
  }),
};

export function imageConfig(labels: Record<string, string> = COG_LABELS, extra: Record<string, unknown> = {}): Uint8Array<ArrayBuffer> {
  return enc(JSON.stringify({ architecture: "amd64", os: "linux", config: { Labels: labels, Env: ["PATH=/usr/bin"] }, rootfs: { type: "layers", diff_ids: [] }, ...extra }));
}

export interface Pushed {
  digest: string;
  size: number;
}

/** POST, one streamed PATCH without Content-Length or Content-Type (what Docker 20.10 sends), PUT ?digest=. */
export async function pushBlob(t: TestApp, repo: string, bytes: Uint8Array<ArrayBuffer>): Promise<Pushed> {
  const post = await t.req("POST", `/v2/${repo}/blobs/uploads/`, "");
  if (post.status !== 202) throw new Error(`POST ${post.status} ${await post.text()}`);
  const loc = post.headers.get("location")!;
  const patch = await t.app.handle(new Request(`http://modelhub.test:5100${loc}`, { method: "PATCH", body: new Blob([bytes]).stream() }));
  if (patch.status !== 202) throw new Error(`PATCH ${patch.status} ${await patch.text()}`);
  const digest = sha(bytes);
  const put = await t.req("PUT", `${patch.headers.get("location")}?digest=${digest}`, "");
  if (put.status !== 201) throw new Error(`PUT ${put.status} ${await put.text()}`);
  return { digest, size: bytes.length };
}

export function imageManifest(config: Pushed, layers: Pushed[], mediaType = "application/vnd.docker.distribution.manifest.v2+json"): Uint8Array {
  const oci = mediaType.includes("oci");
  return enc(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: { mediaType: oci ? "application/vnd.oci.image.config.v1+json" : "application/vnd.docker.container.image.v1+json", size: config.size, digest: config.digest },
      layers: layers.map((l) => ({ mediaType: oci ? "application/vnd.oci.image.layer.v1.tar+gzip" : "application/vnd.docker.image.rootfs.diff.tar.gzip", size: l.size, digest: l.digest })),
    }),
  );
}

export function putManifest(t: TestApp, repo: string, ref: string, bytes: Uint8Array, mediaType: string): Promise<Response> {
  return t.req("PUT", `/v2/${repo}/manifests/${ref}`, new TextDecoder().decode(bytes), { "content-type": mediaType });
}

/** A config + one layer Cog image pushed as Docker v2 to repo:tag; returns the manifest digest. */
export async function pushCogImage(t: TestApp, repo: string, tag: string, layer = enc(`layer ${Math.random()}`), labels: Record<string, string> = COG_LABELS) {
  const l = await pushBlob(t, repo, layer);
  const c = await pushBlob(t, repo, imageConfig(labels));
  const m = imageManifest(c, [l]);
  const res = await putManifest(t, repo, tag, m, "application/vnd.docker.distribution.manifest.v2+json");
  return { res, digest: sha(m), manifest: m, layer: l, config: c };
}
