// Loading a pushed version from stored blobs: the `docker save` tar built from the registry's files
// (read back with the system tar), the fallback from a pull the engine cannot make to a load, the
// load-only setting, no load for other pull errors, and containers created by image id.
import { afterEach, beforeEach, expect, it } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importAwareRuntime, type ImagePuller, unreachable } from "../../server/registry/engine-import.ts";
import { savedImage, tarHeader, tarStream } from "../../server/registry/image-tar.ts";
import { FakeRuntime } from "../helpers/fake-runtime.ts";
import { testApp, type TestApp } from "../helpers/test-app.ts";
import { enc, pushCogImage } from "./registry-client.ts";

let t: TestApp;
let dir: string;
beforeEach(() => {
  t = testApp();
  dir = mkdtempSync(join(tmpdir(), "modelhub-image-tar-"));
});
afterEach(() => {
  t.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Extracts a tar stream with the system tar; returns the folder. */
async function untar(tar: ReadableStream<Uint8Array>): Promise<string> {
  const p = Bun.spawn(["tar", "-xf", "-", "-C", dir], { stdin: "pipe", stderr: "pipe" });
  for await (const chunk of tar) p.stdin.write(chunk);
  await p.stdin.end();
  expect(await p.exited).toBe(0);
  return dir;
}

class FakeEngine implements ImagePuller {
  pulls: string[] = [];
  loads: Uint8Array[] = [];
  constructor(private pullError: string | null) {}
  async pull(ref: string) {
    this.pulls.push(ref);
    if (this.pullError) throw new Error(this.pullError);
  }
  async load(tar: ReadableStream<Uint8Array>) {
    this.loads.push(new Uint8Array(await new Response(tar).arrayBuffer()));
  }
  async save(): Promise<AsyncIterable<Uint8Array>> {
    throw new Error("not used");
  }
}

async function settled(versionId: string) {
  for (let i = 0; i < 200; i++) {
    const s = t.registry.service.importState(versionId);
    if (s && s.status !== "importing") return s;
    await Bun.sleep(10);
  }
  return t.registry.service.importState(versionId);
}

it("a pushed image becomes a docker save tar: manifest.json, config and layers byte for byte", async () => {
  const layer = enc("layer bytes ".repeat(300)); // not a multiple of 512: padding is exercised
  const p = await pushCogImage(t, "alice/tiny", "v1", layer);
  const image = savedImage(t.registry.files, p.digest, ["127.0.0.1:5100/alice/tiny:v1"]);
  expect(image.imageId).toBe(p.config.digest);
  let total = 0;
  const out = await untar(
    tarStream(image.entries).pipeThrough(
      new TransformStream({
        transform(c, ctl) {
          total += c.length;
          ctl.enqueue(c);
        },
      }),
    ),
  );
  expect(total).toBe(image.size);
  const [entry] = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
  expect(entry.RepoTags).toEqual(["127.0.0.1:5100/alice/tiny:v1"]);
  expect(entry.Config).toBe(`blobs/sha256/${p.config.digest.slice(7)}`);
  expect(entry.Layers).toEqual([`blobs/sha256/${p.layer.digest.slice(7)}`]);
  expect(new Uint8Array(readFileSync(join(out, entry.Layers[0])))).toEqual(layer);
  expect(readFileSync(join(out, entry.Config), "utf8")).toBe(readFileSync(t.registry.files.path(p.config.digest), "utf8"));
  // the OCI layout containerd-store engines read: index.json over the manifest as pushed
  expect(JSON.parse(readFileSync(join(out, "oci-layout"), "utf8"))).toEqual({ imageLayoutVersion: "1.0.0" });
  const index = JSON.parse(readFileSync(join(out, "index.json"), "utf8"));
  expect(index.manifests).toEqual([
    {
      mediaType: "application/vnd.docker.distribution.manifest.v2+json",
      digest: p.digest,
      size: p.manifest.length,
      annotations: { "io.containerd.image.name": "127.0.0.1:5100/alice/tiny:v1", "org.opencontainers.image.ref.name": "v1" },
    },
  ]);
  expect(new Uint8Array(readFileSync(join(out, `blobs/sha256/${p.digest.slice(7)}`)))).toEqual(new Uint8Array(p.manifest));
});

it("sizes past 8 GiB are written base-256 in the header", () => {
  const h = tarHeader("big", 9 * 1024 ** 3);
  expect(h[124]).toBe(0x80);
  let v = 0;
  for (let i = 125; i < 136; i++) v = v * 256 + h[i];
  expect(v).toBe(9 * 1024 ** 3);
  expect(() => tarHeader("x".repeat(101), 1)).toThrow("too long");
});

it("when the engine cannot reach modelhub the version is loaded from stored blobs, and containers use the image id", async () => {
  const engine = new FakeEngine('Get "http://127.0.0.1:5100/v2/": dial tcp 127.0.0.1:5100: connect: connection refused');
  const imports = t.registry.attachEngine("127.0.0.1:5100", engine);
  const p = await pushCogImage(t, "alice/tiny", "v1");
  const id = p.digest.slice(7);
  expect(await settled(id)).toEqual({ status: "ready", progress: null, error: null });
  expect(engine.pulls).toEqual([`127.0.0.1:5100/alice/tiny@${p.digest}`]);
  expect(engine.loads).toHaveLength(1);
  const tar = new TextDecoder().decode(engine.loads[0]);
  expect(tar).toContain(`"RepoTags":["127.0.0.1:5100/alice/tiny:sha256-${id}"]`);
  // a load records no digest reference: containers of the version are created by image id
  expect(imports.engineRef(`127.0.0.1:5100/alice/tiny@${p.digest}`)).toBe(p.config.digest);
  expect(imports.engineRef("modelhub-test/hello:latest")).toBe("modelhub-test/hello:latest");
  const runtime = new FakeRuntime({ publish: false });
  const aware = importAwareRuntime(runtime, () => imports);
  const created = await aware.create({ name: "c1", image: `127.0.0.1:5100/alice/tiny@${p.digest}`, env: [], labels: {} } as never);
  expect(runtime.containers.find((c) => c.id === created)?.spec.image).toBe(p.config.digest);
});

it("--registry-import load never asks the engine to pull", async () => {
  t.close();
  t = testApp({ flags: { "registry-import": "load" } });
  const engine = new FakeEngine(null);
  t.registry.attachEngine("127.0.0.1:5100", engine);
  const p = await pushCogImage(t, "alice/tiny", "v1");
  expect((await settled(p.digest.slice(7)))?.status).toBe("ready");
  expect(engine.pulls).toEqual([]);
  expect(engine.loads).toHaveLength(1);
});

it("other pull errors are retried as pulls, not loaded", async () => {
  const engine = new FakeEngine("manifest unknown: manifest unknown");
  t.registry.attachEngine("127.0.0.1:5100", engine);
  const p = await pushCogImage(t, "alice/tiny", "v1");
  for (let i = 0; i < 100 && !t.registry.service.importState(p.digest.slice(7))?.progress?.startsWith("retrying"); i++) await Bun.sleep(10);
  expect(t.registry.service.importState(p.digest.slice(7))?.progress).toStartWith("retrying after: manifest unknown");
  expect(engine.loads).toHaveLength(0);
  expect(unreachable("http: server gave HTTP response to HTTPS client")).toBe(true);
  expect(unreachable("pull access denied")).toBe(false);
});

it("a container of a version still importing waits for the import, then is created by image id", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const engine = new FakeEngine(null);
  engine.pull = async (ref: string) => {
    engine.pulls.push(ref);
    await gate;
  };
  const imports = t.registry.attachEngine("127.0.0.1:5100", engine);
  const p = await pushCogImage(t, "alice/tiny", "v1");
  const runtime = new FakeRuntime({ publish: false });
  const aware = importAwareRuntime(runtime, () => imports);
  let created: string | null = null;
  const creating = aware.create({ name: "c1", image: `127.0.0.1:5100/alice/tiny@${p.digest}`, env: [], labels: {} } as never).then((id) => (created = id));
  await Bun.sleep(50);
  expect(created).toBeNull();
  expect(runtime.containers).toHaveLength(0);
  expect(t.registry.service.importState(p.digest.slice(7))?.status).toBe("importing");
  release();
  await creating;
  expect(runtime.containers.map((c) => c.spec.image)).toEqual([p.config.digest]);
  expect(t.registry.service.importState(p.digest.slice(7))?.status).toBe("ready");
});
