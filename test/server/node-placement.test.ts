// Table tests for placement across nodes (pure), the planner naming the node of a start, and the
// node health state machine.
import { describe, expect, it } from "bun:test";
import { nextHealth, NEW_NODE, type NodeHealth, placementState } from "../../server/nodes/node-health.ts";
import type { Gpu } from "../../server/runtime/gpus.ts";
import type { NodeView } from "../../server/runtime/runtime-node.ts";
import { chooseNodePlacement, type NodePlacedInstance, type NodePlacement, type NodePlacementRequest } from "../../server/scheduler/node-placement.ts";
import { plan } from "../../server/scheduler/planner.ts";

const NOW = 1_000_000;
const gpus = (n: number): Gpu[] => Array.from({ length: n }, (_, index) => ({ index, uuid: `GPU-${index}`, name: "T", memoryTotalMiB: 1, memoryUsedMiB: 0, simulated: true }));
const node = (name: string, n: number, over: Partial<NodeView> = {}): NodeView => ({ name, state: "up", labels: {}, gpus: gpus(n), freeMemoryBytes: 0, ...over });
const inst = (id: string, nodeName: string, gpuIndices: number[], over: Partial<NodePlacedInstance> = {}): NodePlacedInstance => ({
  id, node: nodeName, versionId: "other", gpuIndices, inFlight: 0, lastUsedAt: NOW - 1000, state: "ready", ...over,
});
const req = (over: Partial<NodePlacementRequest> = {}): NodePlacementRequest => ({ versionId: "v", gpuCount: 1, ...over });

interface Case { name: string; nodes: NodeView[]; instances?: NodePlacedInstance[]; request: NodePlacementRequest; want: NodePlacement }

const cases: Case[] = [
  { name: "one node: exactly that node's answer", nodes: [node("local", 2)], request: req(), want: { kind: "place", node: "local", gpus: [0] } },
  {
    name: "one node: its impossible reason is unchanged",
    nodes: [node("local", 1)],
    request: req({ gpuCount: 2 }),
    want: { kind: "impossible", reason: "needs 2 GPUs but this machine has 1" },
  },
  {
    name: "free GPUs anywhere: a full node is skipped",
    nodes: [node("a", 1), node("b", 1)],
    instances: [inst("i1", "a", [0], { inFlight: 1 })],
    request: req(),
    want: { kind: "place", node: "b", gpus: [0] },
  },
  {
    name: "both free: the node that already has the image wins over more memory",
    nodes: [node("a", 1, { freeMemoryBytes: 9e9 }), node("b", 1, { freeMemoryBytes: 1e9, hasImage: (i) => i === "sha256:img" })],
    request: req({ image: "sha256:img" }),
    want: { kind: "place", node: "b", gpus: [0] },
  },
  {
    name: "both free, neither has the image: most free memory wins",
    nodes: [node("a", 1, { freeMemoryBytes: 1e9 }), node("b", 1, { freeMemoryBytes: 5e9 })],
    request: req({ image: "sha256:img" }),
    want: { kind: "place", node: "b", gpus: [0] },
  },
  {
    name: "all equal: the name breaks the tie (same inputs, same answer)",
    nodes: [node("b", 1), node("a", 1)],
    request: req(),
    want: { kind: "place", node: "a", gpus: [0] },
  },
  {
    name: "pinned node: only it, even when another has room",
    nodes: [node("a", 1), node("b", 1)],
    instances: [inst("i1", "b", [0], { inFlight: 1 })],
    request: req({ node: "b" }),
    want: { kind: "wait", reason: "needs 1 GPU but none is free or idle; waiting for i1 on GPU 0 (1 in flight)" },
  },
  {
    name: "labels: only nodes carrying every one",
    nodes: [node("a", 1, { labels: { zone: "x" } }), node("b", 1, { labels: { zone: "y", big: "1" } })],
    request: req({ nodeLabels: { zone: "y", big: "1" } }),
    want: { kind: "place", node: "b", gpus: [0] },
  },
  {
    name: "an unknown pinned node is impossible, and says so",
    nodes: [node("a", 1)],
    request: req({ node: "zz" }),
    want: { kind: "impossible", reason: "is pinned to node zz, which modelhub does not know (see modelhub nodes ls)" },
  },
  {
    name: "no node with the labels is impossible",
    nodes: [node("a", 1)],
    request: req({ nodeLabels: { gpu: "h100" } }),
    want: { kind: "impossible", reason: "needs a node labelled gpu=h100 and none is" },
  },
  {
    name: "drained and down nodes get no new work: the free GPU on them is not used",
    nodes: [node("a", 1, { state: "down" }), node("b", 1, { state: "draining" }), node("c", 1)],
    instances: [inst("i1", "c", [0], { inFlight: 1 })],
    request: req(),
    want: { kind: "wait", reason: "on c: needs 1 GPU but none is free or idle; waiting for i1 on GPU 0 (1 in flight)" },
  },
  {
    name: "only down or drained nodes match: wait, naming them",
    nodes: [node("a", 1, { state: "down" }), node("b", 1, { state: "draining" })],
    request: req(),
    want: { kind: "wait", reason: "no node takes new work (a is down, b is drained)" },
  },
  {
    name: "no free GPU: evict on the node whose idle instance was used longest ago",
    nodes: [node("a", 1), node("b", 1)],
    instances: [inst("newer", "a", [0], { lastUsedAt: NOW - 10 }), inst("older", "b", [0], { lastUsedAt: NOW - 5000 })],
    request: req(),
    want: { kind: "evict", node: "b", instanceIds: ["older"], gpus: [0] },
  },
  {
    name: "never a busy or kept-warm instance: evict the idle one elsewhere",
    nodes: [node("a", 1), node("b", 1), node("c", 1)],
    instances: [
      inst("busy", "a", [0], { inFlight: 1, lastUsedAt: 0 }),
      inst("warm", "b", [0], { keepWarm: true, lastUsedAt: 1 }),
      inst("idle", "c", [0], { lastUsedAt: NOW - 1 }),
    ],
    request: req(),
    want: { kind: "evict", node: "c", instanceIds: ["idle"], gpus: [0] },
  },
  {
    name: "nothing can make room anywhere: wait, with each node's reason",
    nodes: [node("a", 1), node("b", 1)],
    instances: [inst("x", "a", [0], { inFlight: 1 }), inst("y", "b", [0], { state: "starting" })],
    request: req(),
    want: {
      kind: "wait",
      reason: "on a: needs 1 GPU but none is free or idle; waiting for x on GPU 0 (1 in flight); on b: needs 1 GPU but none is free or idle; waiting for y on GPU 0 (starting)",
    },
  },
  {
    name: "the only node that could fit it is down: wait for it, not refuse",
    nodes: [node("local", 0), node("gpu", 1, { state: "down" })],
    request: req(),
    want: {
      kind: "wait",
      reason: "on local: needs a GPU but none is available (no NVIDIA GPU found; start with --gpus all where nvidia-smi works, or --gpus fake:N to simulate); no other node takes new work (gpu is down)",
    },
  },
  {
    name: "no node can ever fit it: impossible, with each node's reason",
    nodes: [node("a", 1), node("b", 2)],
    request: req({ gpuCount: 4 }),
    want: { kind: "impossible", reason: "on a: needs 4 GPUs but this machine has 1; on b: needs 4 GPUs but this machine has 2" },
  },
  {
    name: "a CPU model goes to the node with most free memory, GPUs or not",
    nodes: [node("gpu", 2, { freeMemoryBytes: 1e9 }), node("cpu", 0, { freeMemoryBytes: 8e9 })],
    request: req({ gpuCount: 0 }),
    want: { kind: "place", node: "cpu", gpus: [] },
  },
  {
    name: "pinned GPUs apply on the chosen node",
    nodes: [node("a", 2), node("b", 4)],
    request: req({ gpuCount: 2, pinned: [2, 3] }),
    want: { kind: "place", node: "b", gpus: [2, 3] },
  },
];

describe("chooseNodePlacement", () => {
  for (const c of cases) it(c.name, () => expect(chooseNodePlacement(c.nodes, c.instances ?? [], c.request)).toEqual(c.want));
});

describe("planner across nodes", () => {
  const pool = { key: "p", name: "acme/p", gpuCount: 1, concurrency: 1, minInstances: 0, maxInstances: 2, queued: 2, oldestEnqueuedAt: NOW, warm: false, suspended: false, setupFailed: false, backoffUntil: 0, failures: 0 };
  it("spreads two instances over two one-GPU nodes, naming the node of each start", () => {
    const actions = plan({ now: NOW, pools: [pool], instances: [], gpus: [], nodes: [node("a", 1), node("b", 1)] });
    expect(actions.filter((a) => a.kind === "start")).toEqual([{ kind: "start", pool: "p", gpus: [0], node: "a" }]);
    // with one starting on a, the next plan puts the second on b
    const again = plan({ now: NOW, pools: [pool], instances: [{ id: "i1", key: "p", state: "starting", inFlight: 0, concurrency: 1, lastUsedAt: NOW, gpuIndices: [0], node: "a" }], gpus: [], nodes: [node("a", 1), node("b", 1)] });
    expect(again.filter((a) => a.kind === "start")).toEqual([{ kind: "start", pool: "p", gpus: [0], node: "b" }]);
  });
  it("a pool pinned to a down node waits; its queue is not failed", () => {
    const actions = plan({ now: NOW, pools: [{ ...pool, node: "a" }], instances: [], gpus: [], nodes: [node("a", 1, { state: "down" }), node("b", 1)] });
    expect(actions).toEqual([{ kind: "wait", pool: "p", reason: "no node takes new work (a is down)" }]);
  });
});

describe("node health", () => {
  const rules = { downAfter: 2 };
  const run = (events: Parameters<typeof nextHealth>[1][]) => {
    let h: NodeHealth = NEW_NODE;
    const went: (string | null)[] = [];
    for (const e of events) {
      const r = nextHealth(h, e, rules);
      h = r.health;
      went.push(r.went);
    }
    return { h, went };
  };
  it("a new node is up at its first answer", () => {
    expect(run([{ kind: "answered", at: 5 }])).toEqual({ h: { state: "up", failures: 0, lastSeenAt: 5, error: null }, went: ["up"] });
  });
  it("a node never seen is down at its first failure", () => {
    expect(run([{ kind: "silent", at: 1, error: "refused" }]).went).toEqual(["down"]);
  });
  it("an up node survives one missed check and is down after two in a row; one answer in between resets", () => {
    const a = run([{ kind: "answered", at: 1 }, { kind: "silent", at: 2, error: "t" }, { kind: "answered", at: 3 }, { kind: "silent", at: 4, error: "t" }]);
    expect(a.h.state).toBe("up");
    expect(a.went).toEqual(["up", null, null, null]);
    const b = run([{ kind: "answered", at: 1 }, { kind: "silent", at: 2, error: "t" }, { kind: "silent", at: 3, error: "timeout" }, { kind: "silent", at: 4, error: "t" }]);
    expect(b.h).toEqual({ state: "down", failures: 3, lastSeenAt: 1, error: "t" });
    expect(b.went).toEqual(["up", null, "down", null]);
  });
  it("a lost event stream alone does not make a node down; it comes back up once it answers", () => {
    const r = run([{ kind: "answered", at: 1 }, { kind: "stream-lost", at: 2, error: "ECONNRESET" }]);
    expect(r.h.state).toBe("up");
    const back = run([{ kind: "answered", at: 1 }, { kind: "silent", at: 2, error: "x" }, { kind: "silent", at: 3, error: "x" }, { kind: "answered", at: 9 }]);
    expect(back.went).toEqual(["up", null, "down", "up"]);
  });
  it("placement sees down, drained or up", () => {
    expect(placementState(NEW_NODE, false)).toBe("down");
    expect(placementState({ ...NEW_NODE, state: "up" }, true)).toBe("draining");
    expect(placementState({ ...NEW_NODE, state: "up" }, false)).toBe("up");
  });
});
