// Table tests for the scheduler's pure planner: a snapshot of pools, instances and GPUs in, the
// actions the applier performs out (lease, start, stop, fail, wait), plus the request and idle
// decisions.
import { describe, expect, it } from "bun:test";
import type { Gpu } from "../../server/runtime/gpus.ts";
import { decideIdle, decideRequest, type PlanAction, type PlanInstance, type PlanPool, plan, type RequestDecision } from "../../server/scheduler/planner.ts";

const NOW = 1_000_000;

const gpus = (n: number): Gpu[] => Array.from({ length: n }, (_, index) => ({ index, uuid: `GPU-${index}`, name: "Test GPU", memoryTotalMiB: 1, memoryUsedMiB: 0, simulated: true }));

// Defaults: a CPU model's pool with one waiter, max one instance.
const pool = (key: string, over: Partial<PlanPool> = {}): PlanPool => ({
  key,
  name: `acme/${key}`,
  gpuCount: 0,
  concurrency: 1,
  minInstances: 0,
  maxInstances: 1,
  queued: 1,
  oldestEnqueuedAt: NOW - 10,
  warm: false,
  suspended: false,
  setupFailed: false,
  backoffUntil: 0,
  failures: 0,
  ...over,
});

// Defaults: an idle ready instance on no GPU.
const inst = (id: string, key: string, over: Partial<PlanInstance> = {}): PlanInstance => ({ id, key, state: "ready", inFlight: 0, concurrency: 1, lastUsedAt: NOW - 1000, gpuIndices: [], ...over });

interface Case {
  name: string;
  pools: PlanPool[];
  instances?: PlanInstance[];
  gpus?: number;
  want: PlanAction[];
}

const cases: Case[] = [
  {
    name: "nothing waits and nothing is kept warm: no action",
    pools: [pool("a", { queued: 0 })],
    instances: [inst("i1", "a")],
    want: [],
  },
  {
    name: "a waiter gets the free instance",
    pools: [pool("a")],
    instances: [inst("i1", "a")],
    want: [{ kind: "lease", pool: "a", instanceId: "i1" }, { kind: "wait", pool: "a", reason: null }],
  },
  {
    name: "the most recently used instance is filled first, up to its concurrency",
    pools: [pool("a", { queued: 3, concurrency: 2, maxInstances: 2 })],
    instances: [inst("old", "a", { concurrency: 2, lastUsedAt: NOW - 5000 }), inst("new", "a", { concurrency: 2, lastUsedAt: NOW - 10 })],
    want: [
      { kind: "lease", pool: "a", instanceId: "new" },
      { kind: "lease", pool: "a", instanceId: "new" },
      { kind: "lease", pool: "a", instanceId: "old" },
      { kind: "wait", pool: "a", reason: null },
    ],
  },
  {
    name: "no instance: one starts",
    pools: [pool("a")],
    want: [{ kind: "wait", pool: "a", reason: null }, { kind: "start", pool: "a", gpus: [] }],
  },
  {
    name: "a starting instance will take the waiter: nothing more starts",
    pools: [pool("a")],
    instances: [inst("i1", "a", { state: "starting" })],
    want: [],
  },
  {
    name: "a busy instance at max_instances: the waiter waits",
    pools: [pool("a")],
    instances: [inst("i1", "a", { inFlight: 1 })],
    want: [],
  },
  {
    name: "scale-out up to max_instances on a free GPU",
    pools: [pool("a", { gpuCount: 1, maxInstances: 2 })],
    instances: [inst("i1", "a", { inFlight: 1, gpuIndices: [0] })],
    gpus: 2,
    want: [{ kind: "wait", pool: "a", reason: null }, { kind: "start", pool: "a", gpus: [1] }],
  },
  {
    name: "the oldest waiter's pool gets the last free GPU; the next one waits for it",
    pools: [pool("late", { gpuCount: 1, oldestEnqueuedAt: NOW - 5 }), pool("early", { gpuCount: 1, oldestEnqueuedAt: NOW - 50 })],
    gpus: 1,
    want: [
      { kind: "wait", pool: "early", reason: null },
      { kind: "start", pool: "early", gpus: [0] },
      { kind: "wait", pool: "late", reason: "needs 1 GPU but none is free or idle; waiting for a new acme/early on GPU 0 (starting)" },
    ],
  },
  {
    name: "no free GPU: the least recently used idle instance of another model is evicted",
    pools: [pool("a", { gpuCount: 1 }), pool("b", { queued: 0 })],
    instances: [inst("ib", "b", { gpuIndices: [0] })],
    gpus: 1,
    want: [
      { kind: "wait", pool: "a", reason: "evicting ib to free GPU 0" },
      { kind: "stop", instanceId: "ib", reason: "evicted (least recently used) to make room for acme/a" },
    ],
  },
  {
    name: "a remembered setup failure fails the queue",
    pools: [pool("a", { setupFailed: true })],
    want: [{ kind: "fail", pool: "a", error: { kind: "setup" } }],
  },
  {
    name: "a GPU model on a machine without GPUs fails its queue with the reason",
    pools: [pool("a", { gpuCount: 1 })],
    gpus: 0,
    want: [
      {
        kind: "wait",
        pool: "a",
        reason: "acme/a needs a GPU but none is available (no NVIDIA GPU found; start with --gpus all where nvidia-smi works, or --gpus fake:N to simulate)",
      },
      {
        kind: "fail",
        pool: "a",
        error: { kind: "gpu", message: "acme/a needs a GPU but none is available (no NVIDIA GPU found; start with --gpus all where nvidia-smi works, or --gpus fake:N to simulate)" },
      },
    ],
  },
  {
    name: "crash backoff: the pool waits until its time, and says why",
    pools: [pool("a", { backoffUntil: NOW + 2000, failures: 3 })],
    want: [{ kind: "wait", pool: "a", reason: "restarting in 2 s after 3 failures in a row", until: NOW + 2000 }],
  },
  {
    name: "keep-warm starts instances up to min_instances with nobody waiting",
    pools: [pool("a", { queued: 0, warm: true, minInstances: 2, maxInstances: 2 })],
    instances: [inst("i1", "a")],
    want: [{ kind: "wait", pool: "a", reason: null }, { kind: "start", pool: "a", gpus: [] }],
  },
  {
    name: "a keep-warm pool paused by modelhub stop starts nothing",
    pools: [pool("a", { queued: 0, warm: true, suspended: true, minInstances: 1 })],
    want: [],
  },
  {
    name: "a kept-warm idle instance is never evicted: the other model waits",
    pools: [pool("a", { gpuCount: 1 }), pool("w", { queued: 0, warm: true, minInstances: 1, gpuCount: 1 })],
    instances: [inst("iw", "w", { gpuIndices: [0] })],
    gpus: 1,
    want: [{ kind: "wait", pool: "a", reason: "needs 1 GPU but none is free or idle; waiting for iw on GPU 0 (kept warm)" }],
  },
];

describe("planner: plan", () => {
  for (const c of cases)
    it(c.name, () => {
      const got = plan({ now: NOW, pools: c.pools, instances: c.instances ?? [], gpus: gpus(c.gpus ?? 0) });
      expect(got).toEqual(c.want);
    });
});

describe("planner: a request", () => {
  const base = { closed: false, setupFailed: false, aborted: false, queued: 0, queueFull: false, freeInstanceId: "i1" as string | null };
  const rows: [string, Partial<typeof base>, RequestDecision][] = [
    ["takes a free slot at once when nobody waits", {}, { kind: "lease", instanceId: "i1" }],
    ["queues behind earlier waiters even when a slot is free", { queued: 2 }, { kind: "queue" }],
    ["queues when no slot is free", { freeInstanceId: null }, { kind: "queue" }],
    ["fails when the queue is full", { freeInstanceId: null, queueFull: true }, { kind: "fail", why: "full" }],
    ["fails with the remembered setup failure", { setupFailed: true }, { kind: "fail", why: "setup" }],
    ["fails when already canceled", { aborted: true }, { kind: "fail", why: "canceled" }],
    ["fails while shutting down", { closed: true }, { kind: "fail", why: "closed" }],
  ];
  for (const [name, over, want] of rows) it(name, () => expect(decideRequest({ ...base, ...over })).toEqual(want));
});

describe("planner: an idle timer", () => {
  it("stops an idle ready instance, keeps one that got work, left ready or keeps the pool warm", () => {
    expect(decideIdle({ state: "ready", inFlight: 0, keptWarm: false })).toBe("stop");
    expect(decideIdle({ state: "ready", inFlight: 1, keptWarm: false })).toBe("keep");
    expect(decideIdle({ state: "unhealthy", inFlight: 0, keptWarm: false })).toBe("keep");
    expect(decideIdle({ state: "ready", inFlight: 0, keptWarm: true })).toBe("keep");
  });
});
