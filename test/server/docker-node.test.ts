// DockerNode, the runtime seam over a Docker engine (here the in-memory one): an image missing on the
// node is fetched and then checked by digest before any start; a start reports the endpoint its
// node gives; stop is exactly one container, stopped then removed; lifecycle events are the seam's.
import { describe, expect, it } from "bun:test";
import { DockerNode } from "../../server/runtime/docker-node.ts";
import type { LifecycleEvent } from "../../server/runtime/runtime-node.ts";
import { FakeRuntime } from "../helpers/fake-runtime.ts";

const DIGEST = "d".repeat(64);
const spec = { name: "modelhub-acme-hello-i1", image: `sha256:${DIGEST}`, gpus: { kind: "none" } as const, env: [], shmSizeBytes: 1, labels: { a: "b" }, extraHosts: ["host.docker.internal:host-gateway"] };

describe("DockerNode", () => {
  it("fetches a missing image once, then checks its digest; a present one is not fetched", async () => {
    const engine = new FakeRuntime();
    const fetched: string[] = [];
    const node = new DockerNode("n1", engine, {
      fetchImage: async (image, progress) => {
        fetched.push(image);
        progress("50% of 1 MB sent to n1");
        engine.addImage("acme/hello:latest", {}, DIGEST);
      },
    });
    const lines: string[] = [];
    await node.ensureImage(spec.image, (l) => lines.push(l));
    expect(fetched).toEqual([spec.image]);
    expect(lines).toEqual(["50% of 1 MB sent to n1"]);
    await node.ensureImage(spec.image);
    expect(fetched).toHaveLength(1);
  });

  it("an image that arrives with another digest is refused before any start", async () => {
    const engine = new FakeRuntime();
    const node = new DockerNode("n1", engine, { fetchImage: async () => void engine.images.set(spec.image, { digest: "e".repeat(64), repoTags: [], labels: {}, env: [], createdAt: "" }) });
    await expect(node.ensureImage(spec.image)).rejects.toThrow(`node n1 has ${spec.image} as sha256:${"e".repeat(64)}, not the digest asked for`);
  });

  it("without a way to fetch, a missing image is the engine's not-found", async () => {
    await expect(new DockerNode("n1", new FakeRuntime()).ensureImage(spec.image)).rejects.toThrow("No such image");
  });

  it("starts with the node's endpoint and its own extraHosts; stops exactly that one; events in the seam's words", async () => {
    const engine = new FakeRuntime();
    engine.addImage("x", {}, DIGEST);
    const node = new DockerNode("n1", engine, { endpoint: (_s, name) => `http://127.0.0.1:7000/${name}`, extraHosts: ["host.docker.internal:10.9.0.1"] });
    const events: LifecycleEvent[] = [];
    const unwatch = await node.watch((e) => events.push(e), () => {});
    const a = await node.start(spec);
    const b = await node.start({ ...spec, name: "other" });
    expect(a.endpoint).toBe("http://127.0.0.1:7000/modelhub-acme-hello-i1");
    expect(engine.containers[0].spec.extraHosts).toEqual(["host.docker.internal:10.9.0.1"]);
    await node.stop(a.handle, 3);
    expect(engine.containers.map((c) => [c.id, c.removed, c.running])).toEqual([[a.handle, true, false], [b.handle, false, true]]);
    engine.die(b.handle, 137, true);
    expect(events).toEqual([{ kind: "oom", handle: b.handle }, { kind: "exited", handle: b.handle, exitCode: 137 }]);
    unwatch();
    const listed = await node.list({ a: "b" });
    expect(listed.map((l) => [l.handle, l.running, l.endpoint])).toEqual([[b.handle, false, null]]);
  });
});
