// A second client and a golden reference: skopeo (containers/image) pushes OCI and Docker v2 images
// into modelhub, and the same image copied through Debian's docker-registry (distribution 2.8) and
// modelhub must give the same tags, digests, sizes, errors and manifest bytes.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dockerTests, startLiveServer, type LiveServer } from "../helpers/live-server.ts";
import { buildRandomImage, labelsOf, removeImagesOf, run } from "../helpers/registry-images.ts";
import { until } from "../helpers/until.ts";

const haveTools = Bun.which("skopeo") !== null && Bun.which("docker-registry") !== null;

/** Debian's docker-registry on a free loopback port, its storage in a temp dir. */
export async function startDistribution(): Promise<{ url: string; host: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "modelhub-distribution-"));
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  writeFileSync(
    join(dir, "config.yml"),
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\n  delete:\n    enabled: false\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  const proc = Bun.spawn(["docker-registry", "serve", join(dir, "config.yml")], { stdout: "ignore", stderr: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  await until("docker-registry to listen", async () => (await fetch(`${url}/v2/`).catch(() => null))?.status === 200, 15_000, 100);
  return {
    url,
    host: `127.0.0.1:${port}`,
    async stop() {
      proc.kill();
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const skopeo = (...args: string[]) => run(["skopeo", ...args]);

describe.skipIf(!dockerTests || !haveTools)("skopeo and a differential run against docker-registry", () => {
  let s: LiveServer;
  let reg: Awaited<ReturnType<typeof startDistribution>>;
  let host: string;
  const local = `modelhub-test/reg-clients:${process.pid}-${Date.now()}`;
  // a second image for the differential run: one image belongs to one model
  const local2 = `${local}-diff`;
  beforeAll(async () => {
    s = await startLiveServer();
    host = `127.0.0.1:${s.port}`;
    reg = await startDistribution();
    const labels = await labelsOf("modelhub-test/hello:latest");
    await buildRandomImage(local, 512 * 1024, labels);
    await buildRandomImage(local2, 512 * 1024, labels);
  });
  afterAll(async () => {
    await s?.[Symbol.asyncDispose]();
    if (host) await removeImagesOf(host);
    await reg?.stop();
    await run(["docker", "rmi", "-f", local]);
    await run(["docker", "rmi", "-f", local2]);
  });

  it("skopeo pushes OCI and Docker v2 formats from the engine; each becomes a version; skopeo inspect reads it back", async () => {
    for (const [format, repo, mediaType] of [
      ["oci", "alice/skopeo-oci", "application/vnd.oci.image.manifest.v1+json"],
      ["v2s2", "alice/skopeo-v2", "application/vnd.docker.distribution.manifest.v2+json"],
    ] as const) {
      const copy = await skopeo("copy", "--dest-tls-verify=false", "--format", format, `docker-daemon:${local}`, `docker://${host}/${repo}:v1`);
      expect(copy.err).not.toContain("level=fatal");
      expect(copy.code).toBe(0);
      const head = await fetch(`${s.url}/v2/${repo}/manifests/v1`, { method: "HEAD" });
      expect(head.headers.get("content-type")).toBe(mediaType);
      const model = await s.api("GET", `/v1/models/${repo}`);
      expect(model.body.latest_version.id).toBe(head.headers.get("docker-content-digest")!.slice(7));
      const inspect = await skopeo("inspect", "--tls-verify=false", `docker://${host}/${repo}:v1`);
      expect(inspect.code).toBe(0);
      expect(JSON.parse(inspect.out).Labels["run.cog.config"]).toBeDefined();
    }
  });

  it("the same image through docker-registry and through modelhub: same tags, digests, sizes and manifest bytes", async () => {
    const repo = "alice/diff";
    expect((await skopeo("copy", "--dest-tls-verify=false", "--format", "v2s2", `docker-daemon:${local2}`, `docker://${reg.host}/${repo}:v1`)).code).toBe(0);
    // registry to registry: skopeo copies the manifest and blobs without re-encoding them
    const copy = await skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false", `docker://${reg.host}/${repo}:v1`, `docker://${host}/${repo}:v1`);
    expect(copy.code).toBe(0);
    expect((await skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false", `docker://${reg.host}/${repo}:v1`, `docker://${reg.host}/${repo}:latest`)).code).toBe(0);
    expect((await skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false", `docker://${host}/${repo}:v1`, `docker://${host}/${repo}:latest`)).code).toBe(0);

    const both = async (path: string, init?: RequestInit) => Promise.all([fetch(`${reg.url}${path}`, init), fetch(`${s.url}${path}`, init)]);
    const [rTags, mTags] = await both(`/v2/${repo}/tags/list`);
    expect(await mTags.json()).toEqual(await rTags.json());

    const accept = { accept: "application/vnd.docker.distribution.manifest.v2+json" };
    const [rMan, mMan] = await both(`/v2/${repo}/manifests/v1`, { headers: accept });
    const rBytes = await rMan.text();
    expect(await mMan.text()).toBe(rBytes);
    for (const h of ["docker-content-digest", "content-type", "content-length"]) expect(mMan.headers.get(h)).toBe(rMan.headers.get(h));

    const manifest = JSON.parse(rBytes) as { config: { digest: string }; layers: { digest: string }[] };
    for (const d of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
      const [rb, mb] = await both(`/v2/${repo}/blobs/${d}`, { method: "HEAD" });
      expect(mb.status).toBe(rb.status);
      expect(mb.headers.get("content-length")).toBe(rb.headers.get("content-length"));
      expect(mb.headers.get("docker-content-digest")).toBe(rb.headers.get("docker-content-digest"));
    }
    // and the same errors for what is not there
    const [rMissing, mMissing] = await both(`/v2/${repo}/manifests/nope`);
    expect(mMissing.status).toBe(rMissing.status);
    expect((await mMissing.json()).errors[0].code).toBe((await rMissing.json()).errors[0].code);
    const [rNoRepo, mNoRepo] = await both(`/v2/nobody/nothing/tags/list`);
    expect(mNoRepo.status).toBe(rNoRepo.status);
    expect((await mNoRepo.json()).errors[0].code).toBe((await rNoRepo.json()).errors[0].code);
    const [rUpload, mUpload] = await both(`/v2/${repo}/blobs/uploads/`, { method: "POST" });
    expect(mUpload.status).toBe(rUpload.status);
    expect(mUpload.headers.get("range")).toBe(rUpload.headers.get("range"));
  });
});
