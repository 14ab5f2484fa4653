// GPU placement: a pure choice of which GPUs a new instance gets and which idle instances must stop first.
// The scheduler acts on the answer; nothing here touches Docker, timers or the clock.

import type { Gpu } from "../runtime/gpus.ts";

export type InstanceState = "starting" | "ready" | "stopping";

/** What placement needs to know about a running instance. */
export interface PlacedInstance {
  id: string;
  versionId: string;
  gpuIndices: number[];
  inFlight: number;
  lastUsedAt: number;
  state: InstanceState;
  /** part of a pool's min instances (keep-warm): idle, but stopping it would only start it again */
  keepWarm?: boolean;
}

export interface PlacementRequest {
  versionId: string;
  gpuCount: number;
  /** exact GPU indices this version must run on (per-model pinning); when set, its length must equal gpuCount */
  pinned?: number[];
}

export type Placement =
  | { kind: "place"; gpus: number[] }
  /** stop these idle instances (least recently used first), then start on `gpus` */
  | { kind: "evict"; instanceIds: string[]; gpus: number[] }
  /** everything that could make room is busy, starting or stopping: ask again when an instance goes idle or exits */
  | { kind: "wait"; reason: string }
  /** no amount of waiting helps: the request does not fit this machine */
  | { kind: "impossible"; reason: string };

// GPUs are exclusive: an instance owns every GPU it lists, and VRAM is not shared between instances.
// That keeps placement a counting problem; measuring VRAM to share GPUs can come later.
export function choosePlacement(
  inventory: readonly Gpu[],
  instances: readonly PlacedInstance[],
  request: PlacementRequest,
): Placement {
  const count = request.gpuCount;
  const pinned = request.pinned && request.pinned.length > 0 ? sortedUnique(request.pinned) : undefined;

  if (!Number.isInteger(count) || count < 0) {
    return { kind: "impossible", reason: `gpuCount must be a whole number of GPUs, got ${count}` };
  }
  if (pinned && pinned.length !== count) {
    return { kind: "impossible", reason: `pinned to ${gpuList(pinned)} but asks for ${gpuCountText(count)}` };
  }
  // CPU-only models never wait for GPUs, even when every GPU is busy.
  if (count === 0) return { kind: "place", gpus: [] };

  const have = sortedUnique(inventory.map((gpu) => gpu.index));
  if (have.length === 0) {
    return {
      kind: "impossible",
      reason: `needs ${count === 1 ? "a GPU" : `${count} GPUs`} but none is available ` +
        "(no NVIDIA GPU found; start with --gpus all where nvidia-smi works, or --gpus fake:N to simulate)",
    };
  }
  if (pinned) {
    const missing = pinned.filter((index) => !have.includes(index));
    if (missing.length > 0) {
      return {
        kind: "impossible",
        reason: `pinned to ${gpuList(pinned)} but this machine has no ${gpuList(missing)} (it has ${gpuList(have)})`,
      };
    }
  }
  if (count > have.length) {
    return { kind: "impossible", reason: `needs ${count} GPUs but this machine has ${have.length}` };
  }

  // Stopping instances still hold their GPUs until their container exits, so they block like busy ones.
  const holdersOf = (index: number) => instances.filter((instance) => instance.gpuIndices.includes(index));

  if (pinned) {
    const blockers = uniqueInstances(pinned.flatMap(holdersOf));
    const stuck = blockers.filter((instance) => !isEvictable(instance));
    if (stuck.length > 0) {
      return { kind: "wait", reason: `pinned to ${gpuList(pinned)}; waiting for ${stuck.map(describe).join(", ")}` };
    }
    if (blockers.length > 0) {
      return { kind: "evict", instanceIds: blockers.sort(leastRecentlyUsed).map((i) => i.id), gpus: pinned };
    }
    return { kind: "place", gpus: pinned };
  }

  const free = have.filter((index) => holdersOf(index).length === 0);
  if (free.length >= count) return { kind: "place", gpus: free.slice(0, count) };

  // If instances already on their way out will leave enough room, wait for them rather than also
  // stopping an idle one that may be wanted again soon.
  const leaving = have.filter((index) => {
    const holders = holdersOf(index);
    return holders.length > 0 && holders.every((holder) => holder.state === "stopping");
  });
  if (free.length + leaving.length >= count) {
    const stopping = uniqueInstances(leaving.flatMap(holdersOf));
    return { kind: "wait", reason: `needs ${gpuCountText(count)}; waiting for ${stopping.map(describe).join(", ")} to exit` };
  }

  // A GPU is freed only when every instance on it is evicted.
  const freedBy = (evicted: readonly PlacedInstance[]) =>
    have.filter((index) => {
      const holders = holdersOf(index);
      return holders.length > 0 && holders.every((holder) => evicted.includes(holder));
    });
  const enough = (evicted: readonly PlacedInstance[]) => free.length + freedBy(evicted).length >= count;

  const candidates = instances
    .filter((instance) => isEvictable(instance) && instance.gpuIndices.some((index) => have.includes(index)))
    .sort(leastRecentlyUsed);

  // Take idle instances oldest first until enough GPUs come free...
  let chosen: PlacedInstance[] = [];
  for (const candidate of candidates) {
    chosen.push(candidate);
    if (enough(chosen)) break;
  }
  if (!enough(chosen)) {
    const stuck = instances.filter(
      (instance) => !isEvictable(instance) && instance.gpuIndices.some((index) => have.includes(index)),
    );
    const couldHave = free.length + freedBy(candidates).length;
    return {
      kind: "wait",
      reason: `needs ${gpuCountText(count)} but ${couldHave === 0 ? "none is" : `only ${couldHave} ${couldHave === 1 ? "is" : "are"}`} ` +
        `free or idle; waiting for ${stuck.map(describe).join(", ")}`,
    };
  }
  // ...then keep alive any earlier pick the last one made unnecessary (say a 1-GPU instance taken before a
  // 2-GPU one that alone frees enough). Newer picks are spared first, so eviction stays as close to LRU as it can.
  for (let i = chosen.length - 2; i >= 0; i--) {
    const without = chosen.filter((_, j) => j !== i);
    if (enough(without)) chosen = without;
  }
  const gpus = sortedUnique([...free, ...freedBy(chosen)]).slice(0, count);
  return { kind: "evict", instanceIds: chosen.map((instance) => instance.id), gpus };
}

export interface ScaleOutInput {
  /** requests waiting for a slot on this version, not counting those already running */
  queued: number;
  /** this version's instances only */
  instances: readonly Pick<PlacedInstance, "state" | "inFlight">[];
  maxInstances: number;
  concurrencyPerInstance: number;
}

/** True when queued work exceeds the free slots of this version's instances and another instance is allowed. */
export function shouldScaleOut({ queued, instances, maxInstances, concurrencyPerInstance }: ScaleOutInput): boolean {
  // A stopping instance takes no new work and is about to leave, so it neither counts toward the cap nor offers slots.
  const live = instances.filter((instance) => instance.state !== "stopping");
  if (live.length >= maxInstances) return false;
  // Starting instances count as capacity: otherwise every request queued during a slow cold start
  // (minutes for big images) would start yet another container.
  const freeSlots = live.reduce((sum, instance) => sum + Math.max(0, concurrencyPerInstance - instance.inFlight), 0);
  return queued > freeSlots;
}

// Only a ready instance with nothing in flight may be stopped: never cut off live work, and never
// kill a container mid-setup, which would waste its cold start and likely be retried at once.
// Keep-warm instances are spared too: the scheduler would start them again at once (thrashing).
function isEvictable(instance: PlacedInstance): boolean {
  return instance.state === "ready" && instance.inFlight === 0 && !instance.keepWarm;
}

// The id breaks ties so the same inputs always give the same answer.
function leastRecentlyUsed(a: PlacedInstance, b: PlacedInstance): number {
  return a.lastUsedAt - b.lastUsedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function describe(instance: PlacedInstance): string {
  const doing = instance.state !== "ready" ? instance.state : instance.inFlight === 0 && instance.keepWarm ? "kept warm" : `${instance.inFlight} in flight`;
  return `${instance.id} on ${gpuList(instance.gpuIndices)} (${doing})`;
}

function uniqueInstances(list: readonly PlacedInstance[]): PlacedInstance[] {
  return list.filter((instance, i) => list.indexOf(instance) === i);
}

function sortedUnique(indices: readonly number[]): number[] {
  return [...new Set(indices)].sort((a, b) => a - b);
}

function gpuList(indices: readonly number[]): string {
  return `${indices.length === 1 ? "GPU" : "GPUs"} ${indices.join(", ")}`;
}

function gpuCountText(count: number): string {
  return count === 1 ? "1 GPU" : `${count} GPUs`;
}
