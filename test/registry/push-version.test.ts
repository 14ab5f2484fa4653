// A manifest pushed by tag that is a runnable Cog image becomes a catalog version, keyed by the
// platform image-manifest digest; replays of what containerd-store engines and Cog's own OCI
// uploader send, request by request.
import { versionLabel } from "../../cli/commands/models.ts";
import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { testApp, type TestApp } from "../helpers/test-app.ts";
import { enc, imageConfig, imageManifest, pushBlob, pushCogImage, putManifest, sha } from "./registry-client.ts";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const ORIGIN = "http://modelhub.test:5100";

let t: TestApp;
beforeEach(() => {
  t = testApp();
});
afterEach(() => t.close());

const errorOf = async (res: Response) => ((await res.json()) as { errors: { code: string; message: string }[] }).errors[0];

describe("a push is a version", () => {
  it("creates the model and a version keyed by the manifest digest, importing until the engine has it", async () => {
    const { res, digest } = await pushCogImage(t, "alice/tiny", "v1");
    expect(res.status).toBe(201);
    const id = digest.slice("sha256:".length);
    const model = await (await t.req("GET", "/v1/models/alice/tiny")).json();
    expect(model.latest_version.id).toBe(id);
    expect(model.latest_version.cog_version).toBe("0.13.6");
    expect(model.latest_version.openapi_schema.components.schemas.Input.required).toEqual(["text"]);
    expect(t.catalog.getVersion(id).image).toBe(`127.0.0.1/alice/tiny@${digest}`);
    // importing until the engine has it (this test app has no engine), visible on the version
    expect(model.latest_version.import).toMatchObject({ status: "importing", error: null });
    // and in `modelhub models` (the CLI's label for the version column)
    expect(versionLabel(model.latest_version)).toStartWith(`${id.slice(0, 12)} (importing`);
    // a re-push of the same image is the same version
    expect((await putManifest(t, "alice/tiny", "v1-again", (await pushCogImage(t, "alice/tiny", "tmp")).manifest, "application/vnd.docker.distribution.manifest.v2+json")).status).toBe(201);
    const versions = await (await t.req("GET", "/v1/models/alice/tiny/versions")).json();
    expect(versions.results).toHaveLength(2);
  });

  it("refuses an image without run.cog.config with MANIFEST_INVALID saying how to build one, and creates nothing", async () => {
    const { res } = await pushCogImage(t, "alice/plain", "v1", enc("layer"), { maintainer: "someone" });
    expect(res.status).toBe(400);
    const e = await errorOf(res);
    expect(e.code).toBe("MANIFEST_INVALID");
    expect(e.message).toContain("not a Cog image");
    expect(e.message).toContain("cog build");
    expect(t.catalog.findModel("alice", "plain")).toBeNull();
    expect((await t.req("GET", "/v2/alice/plain/manifests/v1")).status).toBe(404);
  });

  it("names that are not owner/model are NAME_INVALID for runnable images", async () => {
    const { res } = await pushCogImage(t, "team/alice/tiny", "v1");
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("NAME_INVALID");
  });

  it("the same image pushed to a second model is DENIED with the model that has it", async () => {
    const layer = enc("one image");
    await pushCogImage(t, "alice/tiny", "v1", layer);
    const again = await pushCogImage(t, "bob/copy", "v1", layer);
    expect(again.res.status).toBe(403);
    const e = await errorOf(again.res);
    expect(e.code).toBe("DENIED");
    expect(e.message).toContain("alice/tiny");
  });
});

describe("replay: a containerd-store push (Docker 24+ with the containerd image store)", () => {
  it("HEAD with Accept: <type>, */*; monolithic PUT answers Docker-Content-Digest; child, attestation and index to one tag make one version", async () => {
    const repo = "alice/cd";
    const post = async (bytes: Uint8Array<ArrayBuffer>, mediaType: string) => {
      const digest = sha(bytes);
      const head = await t.req("HEAD", `/v2/${repo}/blobs/${digest}`, undefined, { accept: `${mediaType}, */*` });
      expect(head.status).toBe(404);
      const p = await t.req("POST", `/v2/${repo}/blobs/uploads/`, "");
      expect(p.status).toBe(202);
      // no PATCH: the whole blob in the PUT, Content-Length known
      const put = await t.app.handle(
        new Request(`${ORIGIN}${p.headers.get("location")}?digest=${digest}`, {
          method: "PUT",
          body: bytes,
          headers: { "content-type": "application/octet-stream", "content-length": String(bytes.length) },
        }),
      );
      expect([200, 201, 202, 204]).toContain(put.status);
      expect(put.headers.get("docker-content-digest")).toBe(digest);
      return { digest, size: bytes.length };
    };
    const layer = await post(enc("rootfs layer"), "application/vnd.oci.image.layer.v1.tar+gzip");
    const config = await post(imageConfig(), "application/vnd.oci.image.config.v1+json");
    const child = imageManifest(config, [layer], OCI_MANIFEST);
    const intoto = await post(enc('{"_type":"https://in-toto.io/Statement/v0.1"}'), "application/vnd.in-toto+json");
    const attConfig = await post(enc('{"architecture":"unknown","os":"unknown","config":{},"rootfs":{"type":"layers","diff_ids":[]}}'), "application/vnd.oci.image.config.v1+json");
    const attestation = enc(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: attConfig.digest, size: attConfig.size },
        layers: [{ mediaType: "application/vnd.in-toto+json", digest: intoto.digest, size: intoto.size, annotations: { "in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2" } }],
      }),
    );
    const index = enc(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          { mediaType: OCI_MANIFEST, digest: sha(child), size: child.length, platform: { architecture: "amd64", os: "linux" } },
          {
            mediaType: OCI_MANIFEST,
            digest: sha(attestation),
            size: attestation.length,
            annotations: { "vnd.docker.reference.digest": sha(child), "vnd.docker.reference.type": "attestation-manifest" },
            platform: { architecture: "unknown", os: "unknown" },
          },
        ],
      }),
    );
    // Engines before moby#49949 write every manifest to the tag, one after another.
    for (const [bytes, type] of [[child, OCI_MANIFEST], [attestation, OCI_MANIFEST], [index, OCI_INDEX]] as const) {
      const head = await t.req("HEAD", `/v2/${repo}/manifests/v1`, undefined, { accept: `${type}, */*` });
      expect(head.headers.get("docker-content-digest")).not.toBe(sha(bytes));
      const put = await putManifest(t, repo, "v1", bytes, type);
      expect(put.status).toBe(201);
      expect(put.headers.get("docker-content-digest")).toBe(sha(bytes));
    }
    const versions = await (await t.req("GET", "/v1/models/alice/cd/versions")).json();
    expect(versions.results.map((v: { id: string }) => v.id)).toEqual([sha(child).slice(7)]);
    // the digest the engine printed (the index) names the version too
    const byIndex = await (await t.req("GET", `/v1/models/alice/cd/versions/${sha(index).slice(7)}`)).json();
    expect(byIndex.id).toBe(sha(child).slice(7));
    const head = await t.req("HEAD", `/v2/${repo}/manifests/v1`);
    expect(head.headers.get("docker-content-digest")).toBe(sha(index));
    expect(head.headers.get("content-type")).toBe(OCI_INDEX);
  });
});

describe("replay: Cog's OCI uploader (COG_PUSH_OCI=1) and bundles", () => {
  it("POST exactly 202, Content-Range chunks without prefix, PUT exactly 201, then the post-push HEAD of the tag", async () => {
    const repo = "alice/cogoci";
    const upload = async (bytes: Uint8Array<ArrayBuffer>, chunk: number) => {
      const p = await t.req("POST", `/v2/${repo}/blobs/uploads/`, "");
      expect(p.status).toBe(202);
      let loc = p.headers.get("location")!;
      for (let start = 0; start < bytes.length; start += chunk) {
        const part = bytes.slice(start, Math.min(start + chunk, bytes.length));
        const res = await t.app.handle(
          new Request(`${ORIGIN}${loc}`, {
            method: "PATCH",
            body: part,
            headers: { "content-type": "application/octet-stream", "content-length": String(part.length), "content-range": `${start}-${start + part.length - 1}` },
          }),
        );
        expect(res.status).toBe(202);
        expect(res.headers.get("range")).toBe(`0-${start + part.length - 1}`);
        loc = res.headers.get("location")!;
      }
      const put = await t.req("PUT", `${loc}${loc.includes("?") ? "&" : "?"}digest=${sha(bytes)}`, "", { "oci-layer-media-type": "application/vnd.oci.image.layer.v1.tar+gzip" });
      expect(put.status).toBe(201);
      return { digest: sha(bytes), size: bytes.length };
    };
    const layer = await upload(new Uint8Array(300_000).map((_, i) => i % 251), 100_000);
    const config = await upload(imageConfig(), 1 << 20);
    const manifest = imageManifest(config, [layer], OCI_MANIFEST);
    // cog bundle: the image under cog-image.<tag>, a weights artifact, then an index under <tag>
    expect((await putManifest(t, repo, "cog-image.v1", manifest, OCI_MANIFEST)).status).toBe(201);
    const empty = await upload(enc("{}"), 10);
    const weights = await upload(enc("weights"), 10);
    const artifact = enc(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: "application/vnd.cog.weight.v1",
        config: { mediaType: "application/vnd.oci.empty.v1+json", digest: empty.digest, size: 2 },
        layers: [{ mediaType: "application/octet-stream", digest: weights.digest, size: weights.size }],
      }),
    );
    expect((await putManifest(t, repo, "cog-weight.model.abc123", artifact, OCI_MANIFEST)).status).toBe(201);
    const index = enc(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          { mediaType: OCI_MANIFEST, digest: sha(manifest), size: manifest.length, platform: { os: "linux", architecture: "amd64" } },
          { mediaType: OCI_MANIFEST, digest: sha(artifact), size: artifact.length, artifactType: "application/vnd.cog.weight.v1" },
        ],
      }),
    );
    expect((await putManifest(t, repo, "v1", index, OCI_INDEX)).status).toBe(201);
    const head = await t.req("HEAD", `/v2/${repo}/manifests/v1`);
    expect(head.status).toBe(200);
    expect(head.headers.get("docker-content-digest")).toBe(sha(index));
    const versions = await (await t.req("GET", `/v1/models/${repo}/versions`)).json();
    expect(versions.results.map((v: { id: string }) => v.id)).toEqual([sha(manifest).slice(7)]);
  });

  it("an artifact alone (no runnable image) is stored and makes no version", async () => {
    const empty = await pushBlob(t, "alice/weights", enc("{}"));
    const artifact = enc(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: "application/vnd.cog.weight.v1", config: { mediaType: "application/vnd.oci.empty.v1+json", digest: empty.digest, size: 2 }, layers: [] }));
    expect((await putManifest(t, "alice/weights", "cog-weight.x.1", artifact, OCI_MANIFEST)).status).toBe(201);
    expect(t.catalog.findModel("alice", "weights")).toBeNull();
  });
});
