// The scheduler over several nodes, each an in-memory engine behind the real DockerNode seam: work
// spreads over nodes and pins their GPUs, a drained node takes nothing new, and a lost node's running
// work fails with a reason naming it while queued work goes elsewhere.
import { describe, expect, it } from "bun:test";
import { DockerNode } from "../../server/runtime/docker-node.ts";
import type { NodeDirectory, NodeView } from "../../server/runtime/runtime-node.ts";
import type { Lease } from "../../server/scheduler/scheduler.ts";
import { FakeRuntime, gpus, harness, spec } from "./scheduler-fakes.ts";

const BOOT = 100;

function twoNodes() {
  const engines = { a: new FakeRuntime(), b: new FakeRuntime() };
  for (const e of Object.values(engines)) e.addImage("sha256:big", {});
  // Each fake engine numbers its ports alike: node b's containers are told apart by their host.
  const nodes = {
    a: new DockerNode("a", engines.a, { endpoint: (s) => `http://127.0.0.1:${s.hostPort}` }),
    b: new DockerNode("b", engines.b, { endpoint: (s) => `http://127.0.0.2:${s.hostPort}` }),
  };
  const state: Record<"a" | "b", NodeView["state"]> = { a: "up", b: "up" };
  const directory: NodeDirectory = {
    node: (name) => nodes[name as "a" | "b"],
    views: () => (["a", "b"] as const).map((name) => ({ name, state: state[name], labels: { zone: name }, gpus: gpus(1).gpus, freeMemoryBytes: name === "a" ? 2 : 1 })),
  };
  const probe = (url: string) => (new URL(url).hostname === "127.0.0.2" ? engines.b : engines.a).probe(url);
  const h = harness({ nodes: directory, probe });
  return { ...h, engines, state };
}

describe("scheduler across nodes", () => {
  it("spreads a scaled-out model over both nodes, pinning each node's GPU, and labels the node", async () => {
    const { clock, scheduler, engines } = twoNodes();
    const s = spec("big", { gpuCount: 1, maxInstances: 2 });
    const p = [scheduler.acquire(s), scheduler.acquire(s)];
    await clock.advance(BOOT);
    const leases = await Promise.all(p);
    expect(engines.a.live()).toHaveLength(1);
    expect(engines.b.live()).toHaveLength(1);
    expect(leases.map((l) => scheduler.get(l.instanceId)?.node).sort()).toEqual(["a", "b"]);
    expect(engines.b.containers[0].spec.labels["dev.modelhub.node"]).toBe("b");
    expect(engines.b.containers[0].spec.labels["dev.modelhub.gpus"]).toBe("0");
    expect(leases.find((l) => scheduler.get(l.instanceId)?.node === "b")?.baseUrl).toStartWith("http://127.0.0.2:");
  });

  it("a drained node takes no new work: the second instance waits for the first node instead", async () => {
    const { clock, scheduler, engines, state } = twoNodes();
    state.b = "draining";
    const s = spec("big", { gpuCount: 1, maxInstances: 2 });
    const first = scheduler.acquire(s);
    const second = scheduler.acquire(s);
    await clock.advance(BOOT);
    const l1 = await first;
    expect(engines.b.containers).toHaveLength(0);
    let got: Lease | null = null;
    void second.then((l) => (got = l));
    await clock.advance(BOOT);
    expect(got).toBeNull();
    l1.release();
    await clock.advance(1);
    expect(got).not.toBeNull();
    expect(scheduler.get(got!.instanceId)?.node).toBe("a");
  });

  it("a lost node: its running prediction fails naming the node, queued work goes to the other node, nothing new goes there", async () => {
    const { clock, scheduler, engines, state } = twoNodes();
    const s = spec("big", { gpuCount: 1, maxInstances: 2 });
    const p = [scheduler.acquire(s), scheduler.acquire(s)];
    await clock.advance(BOOT);
    const leases = await Promise.all(p);
    const onB = leases.find((l) => scheduler.get(l.instanceId)?.node === "b")!;
    const onA = leases.find((l) => l !== onB)!;
    const queued = scheduler.acquire(s);
    let got: Lease | null = null;
    void queued.then((l) => (got = l));
    await clock.advance(1);
    expect(got).toBeNull();

    state.b = "down";
    const lost = scheduler.nodeLost("b", "connect ETIMEDOUT");
    expect(lost).toEqual([onB.instanceId]);
    const end = await onB.ended;
    expect(end.reason).toBe("node b stopped answering (connect ETIMEDOUT)");
    expect(scheduler.get(onB.instanceId)).toBeUndefined();
    // Nothing was asked of the lost engine: it cannot answer.
    expect(engines.b.containers[0].removed).toBe(false);

    // The queued prediction is served on a when its slot frees; b gets no new container.
    onA.release();
    await clock.advance(BOOT);
    expect(got).not.toBeNull();
    expect(scheduler.get(got!.instanceId)?.node).toBe("a");
    expect(engines.b.containers).toHaveLength(1);
    expect(scheduler.instancesOn("b")).toBe(0);
  });

  it("a node that comes back is reconciled by label: its idle container of a known pool is adopted and serves again", async () => {
    const { clock, scheduler, engines } = twoNodes();
    const s = spec("big", { gpuCount: 1 });
    const p = scheduler.acquire(s);
    await clock.advance(BOOT);
    const lease = await p;
    const node = scheduler.get(lease.instanceId)!.node as "a" | "b";
    scheduler.nodeLost(node, "timeout");
    // The engine kept its container; back up, it is listed by label and adopted.
    const listed = await engines[node].list({ "dev.modelhub.owner": "test" });
    expect(listed).toHaveLength(1);
    const dn = new DockerNode(node, engines[node], { endpoint: (st) => `http://${node === "b" ? "127.0.0.2" : "127.0.0.1"}:${st.hostPort}` });
    const r = await scheduler.adoptOn(node, await dn.list({ "dev.modelhub.owner": "test" }), (labels) => (labels["dev.modelhub.pool"] === "v-big" ? s : null));
    expect(r).toMatchObject({ adopted: 1, removed: 0 });
    expect(scheduler.instancesOn(node)).toBe(1);
    const again = await scheduler.acquire(s);
    expect(scheduler.get(again.instanceId)?.node).toBe(node);
    expect(scheduler.get(again.instanceId)?.adopted).toBe(true);
  });
});

describe("a node whose engine stops answering during a start", () => {
  it("keeps the waiting prediction queued (it goes to another node), rather than failing it with the engine's error", async () => {
    const { clock, scheduler, engines, state } = twoNodes();
    engines.b.engineUp = false; // node b still looks up to placement, but its engine refuses
    state.a = "draining";
    const s = spec("big", { gpuCount: 1 });
    let result = null as string | null;
    scheduler.acquire(s).then(
      (l) => (result = `lease on ${scheduler.get(l.instanceId)?.node}`),
      (e: Error) => (result = `failed: ${e.message}`),
    );
    await clock.advance(BOOT);
    expect(result).toBeNull();
    // The node service finds b down; a takes work again: the queued prediction runs there.
    state.b = "down";
    state.a = "up";
    scheduler.nodesChanged();
    await clock.advance(5_000);
    expect(result).toBe("lease on a");
  });
});
