// The node service against a stand-in Docker engine: a small HTTP server on a unix socket answering
// the few Engine API calls a check makes (ping, info, images, containers). Stopping it makes the node
// down after two missed checks (its instances declared lost, naming the reason); starting it again
// makes it up, reconciled by label and followed again.
import { afterAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { openDatabase } from "../../server/db/database.ts";
import { silentLogger } from "../../server/log.ts";
import { NodeService } from "../../server/nodes/node-service.ts";
import { NodeStore } from "../../server/nodes/node-store.ts";
import { DockerNode } from "../../server/runtime/docker-node.ts";
import { FakeRuntime } from "../helpers/fake-runtime.ts";
import { tempDir } from "../helpers/temp-dir.ts";
import { until } from "../helpers/until.ts";

function fakeEngine(socket: string) {
  const seen: string[] = [];
  const start = () =>
    Bun.serve({
      unix: socket,
      fetch(req) {
        const path = new URL(req.url).pathname;
        seen.push(path);
        if (path === "/_ping") return new Response("OK");
        if (path === "/info") return Response.json({ NCPU: 8, MemTotal: 32 * 2 ** 30, Runtimes: { runc: {} } });
        if (path === "/images/json") return Response.json([{ Id: `sha256:${"a".repeat(64)}` }]);
        if (path === "/containers/json") return Response.json([]);
        return new Response(JSON.stringify({ message: "not here" }), { status: 404 });
      },
    });
  return { seen, start };
}

describe("NodeService", () => {
  const dir = tempDir("modelhub-node-svc-");
  const socket = join(dir.path, "engine.sock");
  const engine = fakeEngine(socket);
  let server = engine.start();
  const db = openDatabase(":memory:");
  const store = new NodeStore(db);
  const calls: string[] = [];
  const svc = new NodeService({
    store,
    logger: silentLogger,
    local: new DockerNode("local", new FakeRuntime()),
    localInventory: { gpus: [], source: "none" },
    localImages: { pull: async () => {}, size: async () => ({ id: "x", bytes: 0 }), save: async () => new ReadableStream(), load: async () => [] },
    ownerLabels: { "dev.modelhub.owner": "t" },
    lane: { network: "", memoryBytes: 0, cpus: 0, pids: 0 },
    checkIntervalMs: 40,
    probeImage: "unused",
  });
  svc.start({
    nodeLost: (name, reason) => void calls.push(`lost ${name}: ${reason}`),
    adoptOn: async (name, listed) => (calls.push(`adopt ${name} ${listed.length}`), { adopted: 0, removed: 0 }),
    watchNode: async (name) => void calls.push(`watch ${name}`),
    unwatchNode: (name) => void calls.push(`unwatch ${name}`),
    nodesChanged: () => {},
    instancesOn: () => 0,
    stopOn: async () => {},
  });
  afterAll(() => {
    svc.close();
    server.stop(true);
  });

  it("a node that answers is up at once: inventory from its engine (no NVIDIA runtime: a CPU node unless simulated), reconciled, followed", async () => {
    const n = await svc.add({ name: "box", engine: `unix://${socket}`, fake_gpus: 2 });
    expect(n).toMatchObject({ name: "box", state: "up", cpus: 8, memoryBytes: 32 * 2 ** 30, gpuSource: "fake", error: null });
    expect(n.gpus.map((g) => g.uuid)).toEqual(["GPU-fake-box-0", "GPU-fake-box-1"]);
    expect(n.lastSeenAt).not.toBeNull();
    expect(calls).toEqual(["adopt box 0", "watch box"]);
    const view = svc.views().find((v) => v.name === "box")!;
    expect(view.state).toBe("up");
    expect(view.hasImage?.(`sha256:${"a".repeat(64)}`)).toBe(true);
    expect(view.hasImage?.(`sha256:${"b".repeat(64)}`)).toBe(false);
    expect(svc.node("box")).toBeDefined();
  });

  it("drained, it stays up but placement sees it draining", () => {
    svc.drain("box", true);
    expect(svc.views().find((v) => v.name === "box")?.state).toBe("draining");
    expect(svc.get("box").state).toBe("draining");
    svc.drain("box", false);
    expect(svc.views().find((v) => v.name === "box")?.state).toBe("up");
  });

  it("an engine that stops answering: down after two missed checks, its instances declared lost with the reason", async () => {
    server.stop(true);
    await until("box is lost", () => calls.some((c) => c.startsWith("lost box")) || null, 5_000);
    expect(calls.filter((c) => c.startsWith("lost box"))).toHaveLength(1);
    expect(calls.find((c) => c.startsWith("lost box"))).toContain("Cannot reach the Docker engine");
    expect(svc.views().find((v) => v.name === "box")?.state).toBe("down");
    expect(svc.get("box").state).toBe("down");
  });

  it("back up: reconciled by label and followed again", async () => {
    const before = calls.length;
    server = engine.start();
    await until("box is followed again", () => calls.slice(before).includes("watch box") || null, 5_000);
    expect(calls.slice(before)).toEqual(["adopt box 0", "watch box"]);
    expect(svc.get("box").state).toBe("up");
    // reconciliation asked for this modelhub's containers by its owner label
    expect(engine.seen).toContain("/containers/json");
  });
});
