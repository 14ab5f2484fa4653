// The distribution API row by row, in process (app.handle), with the exact statuses and headers
// Docker, containerd and go-containerregistry depend on.
import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { testApp, type TestApp } from "../helpers/test-app.ts";
import { enc, imageConfig, imageManifest, pushBlob, pushCogImage, putManifest, sha } from "./registry-client.ts";

const DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";

let t: TestApp;
beforeEach(() => {
  t = testApp();
});
afterEach(() => t.close());

const errorCode = async (res: Response) => ((await res.json()) as { errors: { code: string; message: string }[] }).errors[0];

describe("ping and errors", () => {
  it("GET /v2/ answers 200 {} with the API version header on loopback without auth", async () => {
    const res = await t.req("GET", "/v2/");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    expect(res.headers.get("docker-distribution-api-version")).toBe("registry/2.0");
  });

  it("errors are JSON {errors:[{code,message,detail}]}; unsupported endpoints are 405 UNSUPPORTED", async () => {
    const res = await t.req("GET", `/v2/alice/tiny/blobs/${sha("nothing")}`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await errorCode(res)).toMatchObject({ code: "BLOB_UNKNOWN" });
    const del = await t.req("DELETE", `/v2/alice/tiny/manifests/v1`);
    expect(del.status).toBe(405);
    expect((await errorCode(del)).code).toBe("UNSUPPORTED");
    expect((await t.req("GET", "/v2/_catalog")).status).toBe(405);
    expect((await t.req("GET", `/v2/alice/tiny/referrers/${sha("x")}`)).status).toBe(404);
    const badName = await t.req("POST", "/v2/Alice/Tiny/blobs/uploads/", "");
    expect(badName.status).toBe(400);
    expect((await errorCode(badName)).code).toBe("NAME_INVALID");
  });
});

describe("blobs", () => {
  it("HEAD has the exact Content-Length and Docker-Content-Digest and no body; GET streams it", async () => {
    const bytes = enc("hello layer");
    const b = await pushBlob(t, "alice/tiny", bytes);
    const head = await t.req("HEAD", `/v2/alice/tiny/blobs/${b.digest}`);
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(bytes.length));
    expect(head.headers.get("docker-content-digest")).toBe(b.digest);
    expect(await head.text()).toBe("");
    const get = await t.req("GET", `/v2/alice/tiny/blobs/${b.digest}`);
    expect(get.status).toBe(200);
    expect(await get.text()).toBe("hello layer");
    const missing = await t.req("HEAD", `/v2/alice/tiny/blobs/${sha("other")}`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe("");
  });

  it("GET with Range: bytes=N- answers 206 with Content-Range (pull retries resume this way)", async () => {
    const b = await pushBlob(t, "alice/tiny", enc("0123456789"));
    const res = await t.req("GET", `/v2/alice/tiny/blobs/${b.digest}`, undefined, { range: "bytes=4-" });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe("bytes 4-9/10");
    expect(res.headers.get("content-length")).toBe("6");
    expect(await res.text()).toBe("456789");
    expect((await t.req("GET", `/v2/alice/tiny/blobs/${b.digest}`, undefined, { range: "bytes=20-" })).status).toBe(416);
  });

  it("blobs are visible per repository: another repository's HEAD is 404 until mounted", async () => {
    const b = await pushBlob(t, "alice/tiny", enc("shared base layer"));
    expect((await t.req("HEAD", `/v2/bob/other/blobs/${b.digest}`)).status).toBe(404);
  });

  it("the empty blob: POST, PUT with no body, HEAD with Content-Length 0", async () => {
    const empty = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const post = await t.req("POST", "/v2/alice/tiny/blobs/uploads/", "");
    const put = await t.req("PUT", `${post.headers.get("location")}?digest=${empty}`, "");
    expect(put.status).toBe(201);
    const head = await t.req("HEAD", `/v2/alice/tiny/blobs/${empty}`);
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("0");
  });
});

describe("uploads", () => {
  it("POST answers 202 with a relative Location, Docker-Upload-UUID, Range 0-0 and Content-Length 0", async () => {
    const res = await t.req("POST", "/v2/alice/tiny/blobs/uploads/", "");
    expect(res.status).toBe(202);
    const uuid = res.headers.get("docker-upload-uuid")!;
    expect(res.headers.get("location")).toBe(`/v2/alice/tiny/blobs/uploads/${uuid}`);
    expect(res.headers.get("range")).toBe("0-0");
    expect(res.headers.get("content-length")).toBe("0");
  });

  it("PATCH answers Range 0-<last> without a bytes= prefix; chunks with Content-Range continue; GET reports it", async () => {
    const post = await t.req("POST", "/v2/alice/tiny/blobs/uploads/", "");
    const loc = post.headers.get("location")!;
    const p1 = await t.req("PATCH", loc, "hello ", { "content-range": "0-5", "content-type": "application/octet-stream" });
    expect(p1.status).toBe(202);
    expect(p1.headers.get("range")).toBe("0-5");
    expect(p1.headers.get("location")).toBe(loc);
    // lenient about a bytes= prefix on the request side
    const p2 = await t.req("PATCH", loc, "world", { "content-range": "bytes=6-10" });
    expect(p2.headers.get("range")).toBe("0-10");
    const status = await t.req("GET", loc);
    expect(status.status).toBe(204);
    expect(status.headers.get("range")).toBe("0-10");
    const put = await t.req("PUT", `${loc}?digest=${sha("hello world")}`, "");
    expect(put.status).toBe(201);
    expect(put.headers.get("docker-content-digest")).toBe(sha("hello world"));
    expect(put.headers.get("location")).toBe(`/v2/alice/tiny/blobs/${sha("hello world")}`);
  });

  it("a chunk that does not continue the upload is 416 with the current Range", async () => {
    const loc = (await t.req("POST", "/v2/alice/tiny/blobs/uploads/", "")).headers.get("location")!;
    await t.req("PATCH", loc, "abc", { "content-range": "0-2" });
    const bad = await t.req("PATCH", loc, "xyz", { "content-range": "5-7" });
    expect(bad.status).toBe(416);
    expect(bad.headers.get("range")).toBe("0-2");
  });

  it("the PUT may carry the last chunk (or the whole blob, as containerd sends it)", async () => {
    const loc = (await t.req("POST", "/v2/alice/tiny/blobs/uploads/", "")).headers.get("location")!;
    await t.req("PATCH", loc, "first,", {});
    const put = await t.req("PUT", `${loc}?digest=${sha("first,last")}`, "last", { "content-type": "application/octet-stream" });
    expect(put.status).toBe(201);
    expect(await (await t.req("GET", `/v2/alice/tiny/blobs/${sha("first,last")}`)).text()).toBe("first,last");
  });

  it("a wrong digest is 400 DIGEST_INVALID and ends the session; non-sha256 is refused", async () => {
    const loc = (await t.req("POST", "/v2/alice/tiny/blobs/uploads/", "")).headers.get("location")!;
    await t.req("PATCH", loc, "content", {});
    const put = await t.req("PUT", `${loc}?digest=${sha("other")}`, "");
    expect(put.status).toBe(400);
    expect((await errorCode(put)).code).toBe("DIGEST_INVALID");
    expect((await t.req("GET", loc)).status).toBe(404);
    expect((await t.req("HEAD", `/v2/alice/tiny/blobs/${sha("content")}`)).status).toBe(404);
    const loc2 = (await t.req("POST", "/v2/alice/tiny/blobs/uploads/", "")).headers.get("location")!;
    const sha512 = await t.req("PUT", `${loc2}?digest=sha512:${"a".repeat(128)}`, "");
    expect(sha512.status).toBe(400);
    expect((await errorCode(sha512)).code).toBe("DIGEST_INVALID");
  });

  it("DELETE of a session is 204, then it is unknown (404 BLOB_UPLOAD_UNKNOWN)", async () => {
    const loc = (await t.req("POST", "/v2/alice/tiny/blobs/uploads/", "")).headers.get("location")!;
    expect((await t.req("DELETE", loc)).status).toBe(204);
    const after = await t.req("PATCH", loc, "x", {});
    expect(after.status).toBe(404);
    expect((await errorCode(after)).code).toBe("BLOB_UPLOAD_UNKNOWN");
    // a session from another process (or made up) is unknown too: the client starts again
    expect((await t.req("PATCH", "/v2/alice/tiny/blobs/uploads/0b7a1a63-7ca8-4e8d-8a5b-3b9c7f0d2f11", "x", {})).status).toBe(404);
  });

  it("single-POST monolithic upload: ?digest= with the body answers 201; a wrong digest is 400", async () => {
    const ok = await t.req("POST", `/v2/alice/tiny/blobs/uploads/?digest=${sha("mono")}`, "mono", { "content-type": "application/octet-stream" });
    expect(ok.status).toBe(201);
    expect(ok.headers.get("docker-content-digest")).toBe(sha("mono"));
    expect(ok.headers.get("location")).toBe(`/v2/alice/tiny/blobs/${sha("mono")}`);
    const bad = await t.req("POST", `/v2/alice/tiny/blobs/uploads/?digest=${sha("nope")}`, "mono");
    expect(bad.status).toBe(400);
    expect((await errorCode(bad)).code).toBe("DIGEST_INVALID");
  });

  it("mount from a repository holding the blob is 201; otherwise a normal 202 session, never an error", async () => {
    const b = await pushBlob(t, "alice/tiny", enc("base layer"));
    const mounted = await t.req("POST", `/v2/alice/second/blobs/uploads/?mount=${b.digest}&from=alice%2Ftiny`, "");
    expect(mounted.status).toBe(201);
    expect(mounted.headers.get("location")).toBe(`/v2/alice/second/blobs/${b.digest}`);
    expect(mounted.headers.get("docker-content-digest")).toBe(b.digest);
    expect((await t.req("HEAD", `/v2/alice/second/blobs/${b.digest}`)).status).toBe(200);
    const fallback = await t.req("POST", `/v2/alice/third/blobs/uploads/?mount=${sha("absent")}&from=alice%2Ftiny`, "");
    expect(fallback.status).toBe(202);
    expect(fallback.headers.get("docker-upload-uuid")).toBeTruthy();
  });

  it("concurrent pushes of the same blob both commit (201) and leave one copy", async () => {
    const bytes = enc("x".repeat(100_000));
    const [a, b] = await Promise.all([pushBlob(t, "alice/tiny", bytes), pushBlob(t, "alice/other", bytes)]);
    expect(a.digest).toBe(b.digest);
    expect([...t.registry.files.list()].filter((x) => x.digest === a.digest)).toHaveLength(1);
    expect([...t.registry.files.uploads()]).toHaveLength(0);
  });
});

describe("manifests and tags", () => {
  it("PUT by tag stores the bytes verbatim; HEAD/GET by tag and by digest return them with type, digest and length", async () => {
    const { res, digest, manifest } = await pushCogImage(t, "alice/tiny", "v1");
    expect(res.status).toBe(201);
    expect(res.headers.get("docker-content-digest")).toBe(digest);
    expect(res.headers.get("location")).toBe(`/v2/alice/tiny/manifests/${digest}`);
    for (const ref of ["v1", digest]) {
      const head = await t.req("HEAD", `/v2/alice/tiny/manifests/${ref}`, undefined, { accept: `${DOCKER_V2}, */*` });
      expect(head.status).toBe(200);
      expect(head.headers.get("docker-content-digest")).toBe(digest);
      expect(head.headers.get("content-type")).toBe(DOCKER_V2);
      expect(head.headers.get("content-length")).toBe(String(manifest.length));
      const get = await t.req("GET", `/v2/alice/tiny/manifests/${ref}`);
      expect(await get.text()).toBe(new TextDecoder().decode(manifest));
    }
    const missing = await t.req("GET", "/v2/alice/tiny/manifests/v9");
    expect(missing.status).toBe(404);
    expect((await errorCode(missing)).code).toBe("MANIFEST_UNKNOWN");
  });

  it("whitespace and key order survive: the digest is over the exact bytes received", async () => {
    const l = await pushBlob(t, "alice/tiny", enc("l"));
    const c = await pushBlob(t, "alice/tiny", imageConfig());
    const body = `{\n   "schemaVersion": 2,\n   "mediaType": "${OCI_MANIFEST}",\n   "layers": [{"size": ${l.size}, "digest": "${l.digest}", "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip"}],\n   "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "${c.digest}", "size": ${c.size}}\n}\n`;
    const res = await putManifest(t, "alice/tiny", "oci", enc(body), OCI_MANIFEST);
    expect(res.status).toBe(201);
    expect(res.headers.get("docker-content-digest")).toBe(sha(body));
    expect(await (await t.req("GET", "/v2/alice/tiny/manifests/oci")).text()).toBe(body);
  });

  it("a manifest naming a blob the repository lacks is 400 MANIFEST_BLOB_UNKNOWN; a digest ref that does not match is DIGEST_INVALID", async () => {
    const c = await pushBlob(t, "alice/tiny", imageConfig());
    const m = imageManifest(c, [{ digest: sha("never pushed"), size: 12 }]);
    const res = await putManifest(t, "alice/tiny", "v1", m, DOCKER_V2);
    expect(res.status).toBe(400);
    expect((await errorCode(res)).code).toBe("MANIFEST_BLOB_UNKNOWN");
    // blobs are checked in the target repository, not anywhere
    const l = await pushBlob(t, "bob/elsewhere", enc("bob's layer"));
    const other = await putManifest(t, "alice/tiny", "v1", imageManifest(c, [l]), DOCKER_V2);
    expect((await errorCode(other)).code).toBe("MANIFEST_BLOB_UNKNOWN");
    const good = imageManifest(c, []);
    const wrong = await putManifest(t, "alice/tiny", sha("not this"), good, DOCKER_V2);
    expect(wrong.status).toBe(400);
    expect((await errorCode(wrong)).code).toBe("DIGEST_INVALID");
    const invalid = await putManifest(t, "alice/tiny", "v1", enc("{not json"), DOCKER_V2);
    expect((await errorCode(invalid)).code).toBe("MANIFEST_INVALID");
    const schema1 = await putManifest(t, "alice/tiny", "v1", enc('{"schemaVersion":1}'), "application/vnd.docker.distribution.manifest.v1+prettyjws");
    expect((await errorCode(schema1)).code).toBe("MANIFEST_INVALID");
  });

  it("a manifest list and an OCI index are stored and served with their own media types", async () => {
    const pushed = await pushCogImage(t, "alice/tiny", "child");
    for (const [type, tag] of [[DOCKER_LIST, "list"], [OCI_INDEX, "index"]] as const) {
      const idx = enc(JSON.stringify({ schemaVersion: 2, mediaType: type, manifests: [{ mediaType: DOCKER_V2, digest: pushed.digest, size: pushed.manifest.length, platform: { os: "linux", architecture: "amd64" } }] }));
      const res = await putManifest(t, "alice/tiny", tag, idx, type);
      expect(res.status).toBe(201);
      const head = await t.req("HEAD", `/v2/alice/tiny/manifests/${tag}`);
      expect(head.headers.get("content-type")).toBe(type);
      expect(head.headers.get("docker-content-digest")).toBe(sha(idx));
    }
    const missingChild = enc(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: DOCKER_V2, digest: sha("absent"), size: 3 }] }));
    expect((await errorCode(await putManifest(t, "alice/tiny", "broken", missingChild, OCI_INDEX))).code).toBe("MANIFEST_BLOB_UNKNOWN");
  });

  it("a manifest over 4 MiB is 413", async () => {
    const res = await putManifest(t, "alice/tiny", "big", enc(" ".repeat(4 * 1024 * 1024 + 1)), DOCKER_V2);
    expect(res.status).toBe(413);
  });

  it("tags/list names the tags, paginates with n and last, and is NAME_UNKNOWN for an unknown repository", async () => {
    const first = await pushCogImage(t, "alice/tiny", "v1");
    for (const tag of ["v2", "latest"]) expect((await putManifest(t, "alice/tiny", tag, first.manifest, DOCKER_V2)).status).toBe(201);
    const all = await t.req("GET", "/v2/alice/tiny/tags/list");
    expect(await all.json()).toEqual({ name: "alice/tiny", tags: ["latest", "v1", "v2"] });
    const page = await t.req("GET", "/v2/alice/tiny/tags/list?n=2");
    expect((await page.json()).tags).toEqual(["latest", "v1"]);
    expect(page.headers.get("link")).toContain("last=v1");
    expect((await (await t.req("GET", "/v2/alice/tiny/tags/list?n=2&last=v1")).json()).tags).toEqual(["v2"]);
    const unknown = await t.req("GET", "/v2/nobody/nothing/tags/list");
    expect(unknown.status).toBe(404);
    expect((await errorCode(unknown)).code).toBe("NAME_UNKNOWN");
  });

  it("layer bodies are not bound by the JSON body limit (a declared size over --max-body-size is accepted)", async () => {
    const small = testApp({ flags: { "max-body-size": "1k" } });
    try {
      const bytes = new Uint8Array(64 * 1024).fill(7);
      const post = await small.req("POST", "/v2/alice/tiny/blobs/uploads/", "");
      const patch = await small.app.handle(
        new Request(`http://modelhub.test:5100${post.headers.get("location")}`, { method: "PATCH", body: bytes, headers: { "content-length": String(bytes.length) } }),
      );
      expect(patch.status).toBe(202);
      expect(patch.headers.get("range")).toBe(`0-${bytes.length - 1}`);
      // the JSON API still refuses the same size
      expect((await small.req("POST", "/v1/predictions", "x".repeat(64 * 1024), { "content-type": "application/json" })).status).toBe(413);
    } finally {
      small.close();
    }
  });
});
