// Table tests for the pure GPU placement and scale-out decisions.

import { describe, expect, it } from "bun:test";
import type { Gpu } from "../../server/runtime/gpus.ts";
import {
  choosePlacement,
  shouldScaleOut,
  type PlacedInstance,
  type Placement,
  type PlacementRequest,
  type ScaleOutInput,
} from "../../server/scheduler/placement.ts";

function machine(count: number): Gpu[] {
  return Array.from({ length: count }, (_, index) => ({
    index,
    uuid: `GPU-test-${index}`,
    name: "Test GPU",
    memoryTotalMiB: 24_576,
    memoryUsedMiB: 0,
    simulated: true,
  }));
}

// Defaults describe an idle, ready instance of another version; each row overrides what it is about.
function instance(id: string, gpuIndices: number[], over: Partial<PlacedInstance> = {}): PlacedInstance {
  return { id, versionId: `v-${id}`, gpuIndices, inFlight: 0, lastUsedAt: 1_000, state: "ready", ...over };
}

const NO_GPU =
  "(no NVIDIA GPU found; start with --gpus all where nvidia-smi works, or --gpus fake:N to simulate)";

interface PlacementCase {
  name: string;
  gpus: Gpu[];
  instances: PlacedInstance[];
  request: Omit<PlacementRequest, "versionId">;
  want: Placement;
}

const placementCases: PlacementCase[] = [
  // CPU models
  {
    name: "places a CPU request on a machine without GPUs",
    gpus: [],
    instances: [],
    request: { gpuCount: 0 },
    want: { kind: "place", gpus: [] },
  },
  {
    name: "places a CPU request even when every GPU is busy",
    gpus: machine(1),
    instances: [instance("a", [0], { inFlight: 3 })],
    request: { gpuCount: 0 },
    want: { kind: "place", gpus: [] },
  },

  // free GPUs
  {
    name: "takes the lowest free index",
    gpus: machine(4),
    instances: [],
    request: { gpuCount: 1 },
    want: { kind: "place", gpus: [0] },
  },
  {
    name: "skips GPUs held by any instance, even an idle one, when a free GPU exists",
    gpus: machine(3),
    instances: [instance("a", [0]), instance("b", [1], { inFlight: 1 })],
    request: { gpuCount: 1 },
    want: { kind: "place", gpus: [2] },
  },
  {
    name: "places a multi-GPU request on non-adjacent free GPUs",
    gpus: machine(4),
    instances: [instance("a", [1], { inFlight: 1 })],
    request: { gpuCount: 2 },
    want: { kind: "place", gpus: [0, 2] },
  },

  // pinning
  {
    name: "places a pinned request on its free GPU",
    gpus: machine(2),
    instances: [],
    request: { gpuCount: 1, pinned: [1] },
    want: { kind: "place", gpus: [1] },
  },
  {
    name: "evicts an idle holder of the pinned GPU even though other GPUs are free",
    gpus: machine(3),
    instances: [instance("a", [2])],
    request: { gpuCount: 1, pinned: [2] },
    want: { kind: "evict", instanceIds: ["a"], gpus: [2] },
  },
  {
    name: "evicts every idle holder of a multi-GPU pin, oldest first",
    gpus: machine(3),
    instances: [instance("a", [0], { lastUsedAt: 500 }), instance("b", [2], { lastUsedAt: 100 })],
    request: { gpuCount: 2, pinned: [2, 0] },
    want: { kind: "evict", instanceIds: ["b", "a"], gpus: [0, 2] },
  },
  {
    name: "waits when the pinned GPU is held by a busy instance, though another GPU is free",
    gpus: machine(2),
    instances: [instance("a", [1], { inFlight: 2 })],
    request: { gpuCount: 1, pinned: [1] },
    want: { kind: "wait", reason: "pinned to GPU 1; waiting for a on GPU 1 (2 in flight)" },
  },
  {
    name: "waits when the pinned GPU is held by a starting instance",
    gpus: machine(1),
    instances: [instance("a", [0], { state: "starting" })],
    request: { gpuCount: 1, pinned: [0] },
    want: { kind: "wait", reason: "pinned to GPU 0; waiting for a on GPU 0 (starting)" },
  },
  {
    name: "waits for a stopping instance on the pinned GPU",
    gpus: machine(1),
    instances: [instance("a", [0], { state: "stopping" })],
    request: { gpuCount: 1, pinned: [0] },
    want: { kind: "wait", reason: "pinned to GPU 0; waiting for a on GPU 0 (stopping)" },
  },
  {
    name: "is impossible when a pinned GPU is not in the inventory",
    gpus: machine(2),
    instances: [],
    request: { gpuCount: 2, pinned: [1, 3] },
    want: { kind: "impossible", reason: "pinned to GPUs 1, 3 but this machine has no GPU 3 (it has GPUs 0, 1)" },
  },
  {
    name: "is impossible when the pin and the GPU count disagree",
    gpus: machine(2),
    instances: [],
    request: { gpuCount: 1, pinned: [0, 1] },
    want: { kind: "impossible", reason: "pinned to GPUs 0, 1 but asks for 1 GPU" },
  },
  {
    name: "is impossible when pinned but the machine has no GPUs",
    gpus: [],
    instances: [],
    request: { gpuCount: 1, pinned: [0] },
    want: { kind: "impossible", reason: `needs a GPU but none is available ${NO_GPU}` },
  },

  // LRU eviction
  {
    name: "evicts the least recently used idle instance",
    gpus: machine(3),
    instances: [
      instance("a", [0], { lastUsedAt: 300 }),
      instance("b", [1], { lastUsedAt: 100 }),
      instance("c", [2], { lastUsedAt: 200 }),
    ],
    request: { gpuCount: 1 },
    want: { kind: "evict", instanceIds: ["b"], gpus: [1] },
  },
  {
    name: "never evicts an instance with work in flight, however old",
    gpus: machine(2),
    instances: [instance("old-busy", [0], { lastUsedAt: 1, inFlight: 1 }), instance("idle", [1], { lastUsedAt: 900 })],
    request: { gpuCount: 1 },
    want: { kind: "evict", instanceIds: ["idle"], gpus: [1] },
  },
  {
    name: "never evicts a kept-warm instance, however old",
    gpus: machine(2),
    instances: [instance("warm", [0], { lastUsedAt: 1, keepWarm: true }), instance("idle", [1], { lastUsedAt: 900 })],
    request: { gpuCount: 1 },
    want: { kind: "evict", instanceIds: ["idle"], gpus: [1] },
  },
  {
    name: "waits when the only idle holder is kept warm",
    gpus: machine(1),
    instances: [instance("warm", [0], { keepWarm: true })],
    request: { gpuCount: 1 },
    want: { kind: "wait", reason: "needs 1 GPU but none is free or idle; waiting for warm on GPU 0 (kept warm)" },
  },
  {
    name: "never evicts a starting instance, however old",
    gpus: machine(2),
    instances: [instance("booting", [0], { lastUsedAt: 1, state: "starting" }), instance("idle", [1], { lastUsedAt: 900 })],
    request: { gpuCount: 1 },
    want: { kind: "evict", instanceIds: ["idle"], gpus: [1] },
  },
  {
    name: "breaks lastUsedAt ties by instance id",
    gpus: machine(2),
    instances: [instance("b", [0], { lastUsedAt: 5 }), instance("a", [1], { lastUsedAt: 5 })],
    request: { gpuCount: 1 },
    want: { kind: "evict", instanceIds: ["a"], gpus: [1] },
  },
  {
    name: "evicts the two oldest idle instances when two GPUs are needed",
    gpus: machine(3),
    instances: [
      instance("a", [0], { lastUsedAt: 30 }),
      instance("b", [1], { lastUsedAt: 10 }),
      instance("c", [2], { lastUsedAt: 20 }),
    ],
    request: { gpuCount: 2 },
    want: { kind: "evict", instanceIds: ["b", "c"], gpus: [1, 2] },
  },
  {
    name: "combines a free GPU with one freed by eviction",
    gpus: machine(3),
    instances: [instance("a", [0], { lastUsedAt: 10 }), instance("b", [1], { lastUsedAt: 20 })],
    request: { gpuCount: 2 },
    want: { kind: "evict", instanceIds: ["a"], gpus: [0, 2] },
  },
  {
    name: "spares an older idle instance when a newer one alone frees enough",
    gpus: machine(3),
    instances: [instance("small", [0], { lastUsedAt: 10 }), instance("big", [1, 2], { lastUsedAt: 20 })],
    request: { gpuCount: 2 },
    want: { kind: "evict", instanceIds: ["big"], gpus: [1, 2] },
  },
  {
    name: "uses only as many GPUs of an evicted multi-GPU instance as needed",
    gpus: machine(2),
    instances: [instance("big", [0, 1])],
    request: { gpuCount: 1 },
    want: { kind: "evict", instanceIds: ["big"], gpus: [0] },
  },
  {
    name: "skips idle instances without GPUs when choosing what to evict",
    gpus: machine(1),
    instances: [instance("cpu", [], { lastUsedAt: 1 }), instance("gpu", [0], { lastUsedAt: 50 })],
    request: { gpuCount: 1 },
    want: { kind: "evict", instanceIds: ["gpu"], gpus: [0] },
  },

  // waiting
  {
    name: "waits when every holder is busy or starting",
    gpus: machine(2),
    instances: [instance("a", [0], { inFlight: 1 }), instance("b", [1], { state: "starting" })],
    request: { gpuCount: 1 },
    want: { kind: "wait", reason: "needs 1 GPU but none is free or idle; waiting for a on GPU 0 (1 in flight), b on GPU 1 (starting)" },
  },
  {
    name: "waits rather than evicting one idle instance when two GPUs are needed and the other is busy",
    gpus: machine(2),
    instances: [instance("idle", [0]), instance("busy", [1], { inFlight: 4 })],
    request: { gpuCount: 2 },
    want: { kind: "wait", reason: "needs 2 GPUs but only 1 is free or idle; waiting for busy on GPU 1 (4 in flight)" },
  },
  {
    name: "treats a stopping instance's GPU as not yet free",
    gpus: machine(1),
    instances: [instance("a", [0], { state: "stopping" })],
    request: { gpuCount: 1 },
    want: { kind: "wait", reason: "needs 1 GPU; waiting for a on GPU 0 (stopping) to exit" },
  },
  {
    name: "waits for a stopping instance instead of evicting an idle one",
    gpus: machine(2),
    instances: [instance("leaving", [0], { state: "stopping" }), instance("idle", [1], { lastUsedAt: 1 })],
    request: { gpuCount: 1 },
    want: { kind: "wait", reason: "needs 1 GPU; waiting for leaving on GPU 0 (stopping) to exit" },
  },
  {
    name: "evicts when stopping instances alone will not free enough",
    gpus: machine(3),
    instances: [
      instance("leaving", [0], { state: "stopping" }),
      instance("x", [1], { lastUsedAt: 1 }),
      instance("y", [2], { lastUsedAt: 2 }),
    ],
    request: { gpuCount: 2 },
    want: { kind: "evict", instanceIds: ["x", "y"], gpus: [1, 2] },
  },

  // never fits
  {
    name: "is impossible when the request needs more GPUs than the machine has",
    gpus: machine(1),
    instances: [],
    request: { gpuCount: 2 },
    want: { kind: "impossible", reason: "needs 2 GPUs but this machine has 1" },
  },
  {
    name: "is impossible when a GPU is needed and there are none",
    gpus: [],
    instances: [],
    request: { gpuCount: 1 },
    want: { kind: "impossible", reason: `needs a GPU but none is available ${NO_GPU}` },
  },
  {
    name: "is impossible for a negative GPU count",
    gpus: machine(1),
    instances: [],
    request: { gpuCount: -1 },
    want: { kind: "impossible", reason: "gpuCount must be a whole number of GPUs, got -1" },
  },
];

describe("choosePlacement", () => {
  for (const row of placementCases) {
    it(row.name, () => {
      expect(choosePlacement(row.gpus, row.instances, { versionId: "v-new", ...row.request })).toEqual(row.want);
    });
  }

  it("does not reorder or change its inputs", () => {
    const instances = [instance("a", [0], { lastUsedAt: 9 }), instance("b", [1], { lastUsedAt: 1 })];
    const before = structuredClone(instances);
    choosePlacement(machine(2), instances, { versionId: "v-new", gpuCount: 2 });
    expect(instances).toEqual(before);
  });
});

interface ScaleCase {
  name: string;
  input: ScaleOutInput;
  want: boolean;
}

const ready = (inFlight: number) => ({ state: "ready" as const, inFlight });

const scaleCases: ScaleCase[] = [
  {
    name: "starts the first instance when work is queued",
    input: { queued: 1, instances: [], maxInstances: 2, concurrencyPerInstance: 1 },
    want: true,
  },
  {
    name: "does nothing with an empty queue",
    input: { queued: 0, instances: [], maxInstances: 2, concurrencyPerInstance: 1 },
    want: false,
  },
  {
    name: "scales out when the only instance is full",
    input: { queued: 1, instances: [ready(1)], maxInstances: 2, concurrencyPerInstance: 1 },
    want: true,
  },
  {
    name: "stays put at the instance cap",
    input: { queued: 5, instances: [ready(1)], maxInstances: 1, concurrencyPerInstance: 1 },
    want: false,
  },
  {
    name: "stays put when free slots cover the queue",
    input: { queued: 2, instances: [ready(1), ready(0)], maxInstances: 4, concurrencyPerInstance: 2 },
    want: false,
  },
  {
    name: "scales out when queued work exceeds the free slots",
    input: { queued: 4, instances: [ready(1), ready(0)], maxInstances: 4, concurrencyPerInstance: 2 },
    want: true,
  },
  {
    name: "counts a starting instance's slots, so a cold start is not doubled",
    input: { queued: 3, instances: [{ state: "starting", inFlight: 0 }], maxInstances: 4, concurrencyPerInstance: 4 },
    want: false,
  },
  {
    name: "scales out past a starting instance when the queue outgrows it",
    input: { queued: 5, instances: [{ state: "starting", inFlight: 0 }], maxInstances: 4, concurrencyPerInstance: 4 },
    want: true,
  },
  {
    name: "does not count a stopping instance toward the cap or its slots",
    input: { queued: 1, instances: [{ state: "stopping", inFlight: 0 }], maxInstances: 1, concurrencyPerInstance: 1 },
    want: true,
  },
  {
    name: "never scales out when max instances is 0",
    input: { queued: 1, instances: [], maxInstances: 0, concurrencyPerInstance: 1 },
    want: false,
  },
];

describe("shouldScaleOut", () => {
  for (const row of scaleCases) {
    it(row.name, () => {
      expect(shouldScaleOut(row.input)).toEqual(row.want);
    });
  }
});
