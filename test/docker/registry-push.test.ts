// `docker push` / `docker pull` against modelhub's own port with the real engine: a pushed fixture
// Cog image becomes a version that answers a prediction; re-push, mount into a second repository,
// a refused non-Cog image, rmi + pull back, and a 200 MB layer with the server's memory flat.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dockerTests, startLiveServer, type LiveServer } from "../helpers/live-server.ts";
import { buildRandomImage, labelsOf, removeImagesOf, run } from "../helpers/registry-images.ts";
import { serveChild } from "../helpers/serve-child.ts";

const stamp = `${process.pid}-${Date.now()}`;
const created: string[] = [];

describe.skipIf(!dockerTests)("docker push to modelhub", () => {
  let s: LiveServer;
  let host: string;
  beforeAll(async () => {
    s = await startLiveServer();
    host = `127.0.0.1:${s.port}`;
  });
  afterAll(async () => {
    await s?.[Symbol.asyncDispose]();
    if (host) await removeImagesOf(host);
    // Only what this file tagged, built or pulled; the fixture images stay.
    for (const ref of created) await run(["docker", "rmi", "-f", ref]);
  });

  const tag = async (from: string, to: string) => {
    expect((await run(["docker", "tag", from, to])).code).toBe(0);
    created.push(to);
  };

  it("a pushed Cog image becomes a runnable version that answers a prediction; a re-push sends no layer", async () => {
    const ref = `${host}/alice/tiny:v1`;
    await tag("modelhub-test/hello:latest", ref);
    const push = await run(["docker", "push", ref]);
    expect(push.code).toBe(0);
    const digest = /digest: (sha256:[a-f0-9]{64})/.exec(push.out)?.[1];
    expect(digest).toBeDefined();
    created.push(`${host}/alice/tiny@${digest}`);
    const model = await s.api("GET", "/v1/models/alice/tiny");
    expect(model.status).toBe(200);
    // the digest docker printed is the version id
    expect(model.body.latest_version.id).toBe(digest!.slice(7));
    const p = await s.api("POST", "/v1/predictions", { version: "alice/tiny", input: { text: "registry" } }, { prefer: "wait" });
    expect(p.body.error).toBeNull();
    expect(p.body.status).toBe("succeeded");
    expect(p.body.output).toBe("hello registry");
    const version = await s.api("GET", `/v1/models/alice/tiny/versions/${digest!.slice(7)}`);
    expect(version.body.import).toEqual({ status: "ready", progress: null, error: null });
    // the engine has the image under modelhub's loopback name, pulled by digest
    expect((await run(["docker", "image", "inspect", `${host}/alice/tiny@${digest}`])).code).toBe(0);
    const again = await run(["docker", "push", ref]);
    expect(again.code).toBe(0);
    expect(again.out).toContain("Layer already exists");
    expect(again.out).not.toContain("Pushed");
  });

  it("a push to a second repository mounts the shared layers", async () => {
    const ref = `${host}/alice/streamer:v1`;
    await tag("modelhub-test/stream:latest", ref);
    const push = await run(["docker", "push", ref]);
    expect(push.code).toBe(0);
    expect(push.out).toContain("Mounted from alice/tiny");
    expect((await s.api("GET", "/v1/models/alice/streamer")).body.latest_version.id).toMatch(/^[0-9a-f]{64}$/);
  });

  it("an image without Cog labels is refused, and Docker prints why", async () => {
    const ref = `${host}/alice/plain:v1`;
    await tag("modelhub-test/not-cog:latest", ref);
    const push = await run(["docker", "push", ref]);
    expect(push.code).not.toBe(0);
    expect(push.err).toContain("manifest invalid");
    expect(push.err).toContain("not a Cog image");
    expect(push.err).toContain("cog build");
    expect((await s.api("GET", "/v1/models/alice/plain")).status).toBe(404);
  });

  it("docker rmi, then docker pull brings the image back from modelhub", async () => {
    const local = `modelhub-test/reg-pull:${stamp}`;
    await buildRandomImage(local, 256 * 1024, await labelsOf("modelhub-test/hello:latest"));
    created.push(local);
    const ref = `${host}/alice/pulled:v1`;
    await tag(local, ref);
    expect((await run(["docker", "push", ref])).code).toBe(0);
    const id = (await run(["docker", "image", "inspect", ref, "--format", "{{.Id}}"])).out.trim();
    // wait for modelhub's own import, then remove every name of the image from the engine
    const versionId = (await s.api("GET", "/v1/models/alice/pulled")).body.latest_version.id;
    await run(["docker", "pull", `${host}/alice/pulled@sha256:${versionId}`]);
    expect((await run(["docker", "rmi", "-f", id])).code).toBe(0);
    expect((await run(["docker", "image", "inspect", ref])).code).not.toBe(0);
    const pull = await run(["docker", "pull", ref]);
    expect(pull.code).toBe(0);
    expect(pull.out).toContain("Downloaded newer image");
    const labels = JSON.parse((await run(["docker", "image", "inspect", ref, "--format", "{{json .Config.Labels}}"])).out);
    expect(labels["run.cog.config"]).toBeDefined();
    expect((await run(["docker", "image", "inspect", ref, "--format", "{{.Id}}"])).out.trim()).toBe(id);
  });

  it("a version added with `modelhub models add` is exported from the engine on its first pull, with the same image ID", async () => {
    const local = `modelhub-test/reg-added:${stamp}`;
    await buildRandomImage(local, 128 * 1024, await labelsOf("modelhub-test/hello:latest"));
    created.push(local);
    const versionId = await s.addModel(local, "bob/added");
    // the first registry read exports it (docker save, streamed into the blob store)
    const head = await fetch(`${s.url}/v2/bob/added/manifests/latest`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toBe("application/vnd.oci.image.manifest.v1+json");
    expect((await run(["docker", "rmi", "-f", `sha256:${versionId}`])).code).toBe(0);
    const ref = `${host}/bob/added:${versionId}`;
    created.push(ref, `${host}/bob/added:latest`);
    const pull = await run(["docker", "pull", ref]);
    expect(pull.code).toBe(0);
    expect(pull.out).toContain("Downloaded newer image");
    expect((await run(["docker", "image", "inspect", ref, "--format", "{{.Id}}"])).out.trim()).toBe(`sha256:${versionId}`);
    expect((await run(["docker", "pull", `${host}/bob/added:latest`])).code).toBe(0);
  });

  it("a 200 MB layer pushes through (no 128 MiB body cap) with the server's memory flat", async () => {
    const local = `modelhub-test/reg-big:${stamp}`;
    await buildRandomImage(local, 200 * 1024 * 1024, await labelsOf("modelhub-test/hello:latest"));
    created.push(local);
    // A server in a process of its own, so its RSS is the server's alone (this test process has
    // run other files, and their garbage would blur the figure).
    const dir = mkdtempSync(join(tmpdir(), "modelhub-reg-big-"));
    const child = await serveChild(dir);
    try {
      const bigHost = child.url.replace(/^http:\/\//, "");
      const ref = `${bigHost}/alice/big:v1`;
      await tag(local, ref);
      await Bun.sleep(1000);
      const before = child.rss();
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, child.rss())), 100);
      const push = await run(["docker", "push", ref]);
      clearInterval(sampler);
      expect(push.code).toBe(0);
      console.log(`200 MB layer push: server RSS ${Math.round(before / 2 ** 20)} MiB before, ${Math.round(peak / 2 ** 20)} MiB peak`);
      // the layer would add 200 MB if it were buffered anywhere
      expect(peak - before).toBeLessThan(100 * 1024 * 1024);
      const head = await fetch(`${child.url}/v2/alice/big/manifests/v1`, { method: "HEAD" });
      expect(head.status).toBe(200);
    } finally {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
