// How an image reaches a node: pulled from modelhub's registry when the registry holds the version
// and nodes have its address, otherwise streamed from the local engine, and streamed too when the
// pull fails (with the reason logged, never the pull token); a DockerNode then checks and starts
// the image by the id its engine knows it by. Fakes only: the real path is test/docker/nodes-registry.test.ts.
import { describe, expect, it } from "bun:test";
import type { Logger } from "../../server/log.ts";
import { bringImage, chooseImageRoute, type RegistryImages } from "../../server/nodes/node-images.ts";
import { DockerNode } from "../../server/runtime/docker-node.ts";
import { FakeRuntime } from "../helpers/fake-runtime.ts";

const VERSION = "a".repeat(64);
const CONFIG = "c".repeat(64);
const PUSHED = `127.0.0.1:5100/acme/hello@sha256:${VERSION}`;
const TOKEN = "mhr_secret_pull_token";

const registry: RegistryImages = {
  nodeSource: (image) => (image === PUSHED ? { repo: "acme/hello", manifestDigest: `sha256:${VERSION}`, engineRef: `sha256:${CONFIG}` } : null),
  nodePullAuth: () => ({ registrytoken: TOKEN }),
};

function recordingLogger() {
  const lines: string[] = [];
  const log = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
  const logger: Logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
  return { logger, lines };
}

describe("chooseImageRoute", () => {
  it("a pushed version with a registry address the nodes reach: the node pulls it by digest from there", () => {
    expect(chooseImageRoute(PUSHED, "10.0.0.1:5100", registry)).toEqual({ kind: "pull", ref: `10.0.0.1:5100/acme/hello@sha256:${VERSION}`, repo: "acme/hello" });
  });

  it("without --node-registry-url the node cannot reach the registry: streamed, saying why", () => {
    const r = chooseImageRoute(PUSHED, "", registry);
    expect(r).toMatchObject({ kind: "stream" });
    expect(r.kind === "stream" && r.reason).toContain("--node-registry-url");
  });

  it("an image the registry does not hold (a version added from the engine), or no registry: streamed", () => {
    const added = chooseImageRoute(`sha256:${CONFIG}`, "10.0.0.1:5100", registry);
    expect(added.kind === "stream" && added.reason).toContain("does not hold");
    expect(chooseImageRoute(PUSHED, "10.0.0.1:5100", null).kind).toBe("stream");
  });
});

describe("bringImage", () => {
  const run = (route: ReturnType<typeof chooseImageRoute>, pull: (ref: string, auth: Record<string, string> | null) => Promise<void>) => {
    const { logger, lines } = recordingLogger();
    const calls: string[] = [];
    const progress: string[] = [];
    const done = bringImage({
      node: "gpu2",
      image: PUSHED,
      route,
      pull: async (ref, auth, p) => {
        calls.push(`pull ${ref} ${JSON.stringify(auth)}`);
        p("Digest: sha256:…");
        await pull(ref, auth);
      },
      stream: async (p) => {
        calls.push("stream");
        p("100% of 1 MB sent to gpu2");
      },
      auth: (repo) => registry.nodePullAuth(repo),
      progress: (l) => progress.push(l),
      logger,
    });
    return { done, calls, lines, progress };
  };

  it("pulls with the pull token as X-Registry-Auth and does not stream", async () => {
    const r = run(chooseImageRoute(PUSHED, "10.0.0.1:5100", registry), async () => {});
    expect(await r.done).toBe("pulled");
    expect(r.calls).toEqual([`pull 10.0.0.1:5100/acme/hello@sha256:${VERSION} {"registrytoken":"${TOKEN}"}`]);
    expect(r.progress).toContain("Digest: sha256:…");
  });

  it("a failed pull falls back to streaming, with the engine's reason logged and no token", async () => {
    const r = run(chooseImageRoute(PUSHED, "10.0.0.1:5100", registry), async () => {
      throw new Error('Get "https://10.0.0.1:5100/v2/": http: server gave HTTP response to HTTPS client');
    });
    expect(await r.done).toBe("streamed");
    expect(r.calls.map((c) => c.split(" ")[0])).toEqual(["pull", "stream"]);
    const warn = r.lines.find((l) => l.startsWith("warn"));
    expect(warn).toContain("streaming the image from the local engine instead");
    expect(warn).toContain("server gave HTTP response to HTTPS client");
    expect(r.lines.join("\n")).not.toContain(TOKEN);
  });

  it("a stream route never pulls, and logs why", async () => {
    const r = run(chooseImageRoute(PUSHED, "", registry), async () => {
      throw new Error("must not pull");
    });
    expect(await r.done).toBe("streamed");
    expect(r.calls).toEqual(["stream"]);
    expect(r.lines.some((l) => l.includes("--node-registry-url"))).toBe(true);
  });
});

describe("DockerNode with an engine reference", () => {
  it("checks and starts a pushed version by the image id its engine knows it by", async () => {
    const engine = new FakeRuntime();
    const node = new DockerNode("gpu2", engine, {
      engineRef: (image) => registry.nodeSource(image)?.engineRef ?? image,
      fetchImage: async () => void engine.addImage("10.0.0.1:5100/acme/hello", {}, CONFIG),
    });
    await node.ensureImage(PUSHED);
    await node.start({ name: "modelhub-acme-hello-i1", image: PUSHED, gpus: { kind: "none" }, env: [], shmSizeBytes: 1, labels: {}, extraHosts: [] });
    expect(engine.containers[0].spec.image).toBe(`sha256:${CONFIG}`);
  });

  it("an image that arrived with another id than the version's config is refused", async () => {
    const engine = new FakeRuntime();
    const node = new DockerNode("gpu2", engine, {
      engineRef: (image) => registry.nodeSource(image)?.engineRef ?? image,
      fetchImage: async () => void engine.images.set(`sha256:${CONFIG}`, { digest: "e".repeat(64), repoTags: [], labels: {}, env: [], createdAt: "" }),
    });
    await expect(node.ensureImage(PUSHED)).rejects.toThrow("not the digest asked for");
  });
});
