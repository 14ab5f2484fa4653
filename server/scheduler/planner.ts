// The scheduler's decisions, as pure functions of a snapshot: given the pools, their queues, the
// instances and the GPUs, which waiters get which free slot, which pool starts an instance (and
// where), which idle instance is evicted, which queue fails and why a pool waits. Also the two
// small event decisions (a request arrives; an idle timer fires). apply-plan.ts performs the
// actions; nothing here touches Docker, timers, promises or the clock.
import type { Gpu } from "../runtime/gpus.ts";
import { LOCAL_NODE, type NodeView } from "../runtime/runtime-node.ts";
import { chooseNodePlacement, type NodePlacedInstance } from "./node-placement.ts";
import { shouldScaleOut } from "./placement.ts";

export interface PlanPool {
  key: string;
  /** for messages: the deployment's or model's name */
  name: string;
  gpuCount: number;
  pinnedGpus?: number[];
  concurrency: number;
  minInstances: number;
  maxInstances: number;
  /** how many wait, and since when the oldest does */
  queued: number;
  oldestEnqueuedAt: number;
  /** in the keep-warm set, and not paused by `modelhub stop` */
  warm: boolean;
  suspended: boolean;
  /** its setup failed: queued work fails with that error */
  setupFailed: boolean;
  backoffUntil: number;
  failures: number;
  /** pinned to this node (absent: any) */
  node?: string;
  /** only on nodes with these labels */
  nodeLabels?: Record<string, string>;
  /** the image, so a node that has it is preferred */
  image?: string;
}

export interface PlanInstance {
  id: string;
  key: string;
  state: "starting" | "ready" | "unhealthy" | "draining" | "stopping" | "dead";
  inFlight: number;
  concurrency: number;
  lastUsedAt: number;
  gpuIndices: number[];
  /** the node it runs on (absent: the local one) */
  node?: string;
}

export interface PlanState {
  now: number;
  pools: PlanPool[];
  instances: PlanInstance[];
  gpus: readonly Gpu[];
  /** every node and its GPUs; absent = only the local node, with `gpus` (start actions then name no node) */
  nodes?: readonly NodeView[];
  /** why the GPU inventory looks as it does (e.g. no nvidia-smi), added to "impossible" errors */
  inventoryNote?: string;
}

export type PlanAction =
  /** the oldest waiter of `pool` gets a slot on `instanceId` */
  | { kind: "lease"; pool: string; instanceId: string }
  /** start a new instance of `pool` on these GPUs (of `node`, when the state named nodes) */
  | { kind: "start"; pool: string; gpus: number[]; node?: string }
  /** stop an idle instance to free its GPUs for another pool */
  | { kind: "stop"; instanceId: string; reason: string }
  /** fail every queued waiter of `pool` */
  | { kind: "fail"; pool: string; error: { kind: "setup" } | { kind: "gpu"; message: string } }
  /** `pool` waits (null: it no longer does); with `until`, ask again then (crash backoff) */
  | { kind: "wait"; pool: string; reason: string | null; until?: number };

const LIVE = new Set(["starting", "ready", "unhealthy"]);

/** Everything that should happen now. The plan simulates its own effects, so pools later in it see the GPUs earlier ones took. */
export function plan(s: PlanState): PlanAction[] {
  const actions: PlanAction[] = [];
  const instances = s.instances.map((i) => ({ ...i }));
  // The oldest waiting request gets the next free GPU, whichever model it is for.
  const busy = s.pools.filter((p) => p.queued > 0).sort((a, b) => a.oldestEnqueuedAt - b.oldestEnqueuedAt);
  for (const pool of busy) {
    const left = serve(pool, instances, actions);
    if (left > 0) planPool(s, { ...pool, queued: left }, instances, actions, false);
    else actions.push({ kind: "wait", pool: pool.key, reason: null });
  }
  for (const pool of s.pools) if (pool.warm && pool.queued === 0) planPool(s, pool, instances, actions, true);
  return actions;
}

/** Hands free slots to the pool's waiters, most recently used instance first; returns how many still wait. */
function serve(pool: PlanPool, instances: PlanInstance[], actions: PlanAction[]): number {
  let queued = pool.queued;
  while (queued > 0) {
    const inst = freeInstance(instances, pool.key);
    if (!inst) break;
    inst.inFlight++;
    inst.lastUsedAt = Number.MAX_SAFE_INTEGER; // just used: filled first next time, as the scheduler will record
    actions.push({ kind: "lease", pool: pool.key, instanceId: inst.id });
    queued--;
  }
  return queued;
}

/** Fill the most recently used instance first so extra instances go idle and can stop. */
export function freeInstance<T extends Pick<PlanInstance, "key" | "state" | "inFlight" | "concurrency" | "lastUsedAt">>(instances: Iterable<T>, key: string): T | undefined {
  let best: T | undefined;
  for (const i of instances)
    if (i.key === key && i.state === "ready" && i.inFlight < i.concurrency && (!best || i.lastUsedAt > best.lastUsedAt)) best = i;
  return best;
}

/** Its instances are all needed to meet min_instances: none may idle out or be evicted. */
export function keptWarm(pool: Pick<PlanPool, "warm" | "suspended" | "minInstances">, liveCount: number): boolean {
  return pool.warm && !pool.suspended && liveCount <= pool.minInstances;
}

/** Whether this pool gets another instance now, and where. */
function planPool(s: PlanState, pool: PlanPool, instances: PlanInstance[], actions: PlanAction[], warmOnly: boolean): void {
  if (pool.setupFailed) {
    if (pool.queued > 0) actions.push({ kind: "fail", pool: pool.key, error: { kind: "setup" } });
    return;
  }
  const liveNow = instances.filter((i) => i.key === pool.key && LIVE.has(i.state));
  const min = pool.warm && !pool.suspended ? pool.minInstances : 0;
  const max = Math.max(1, pool.maxInstances);
  const wantWarm = liveNow.length < Math.min(min, max);
  const wantQueue =
    !warmOnly &&
    shouldScaleOut({
      queued: pool.queued,
      // An unhealthy instance takes no work but still counts toward the cap.
      instances: liveNow.map((i) => ({ state: i.state === "starting" ? "starting" : "ready", inFlight: i.state === "unhealthy" ? i.concurrency : i.inFlight })),
      maxInstances: max,
      concurrencyPerInstance: Math.max(1, pool.concurrency),
    });
  if (!wantWarm && !wantQueue) return;
  if (pool.backoffUntil > s.now) {
    const reason = `restarting in ${Math.ceil((pool.backoffUntil - s.now) / 1000)} s after ${pool.failures} failures in a row`;
    actions.push({ kind: "wait", pool: pool.key, reason, until: pool.backoffUntil });
    return;
  }
  const nodes = s.nodes ?? [{ name: LOCAL_NODE, state: "up" as const, labels: {}, gpus: s.gpus, freeMemoryBytes: 0 }];
  const placement = chooseNodePlacement(nodes, placed(s.pools, instances), {
    versionId: pool.key,
    gpuCount: pool.gpuCount,
    pinned: pool.pinnedGpus,
    node: pool.node,
    nodeLabels: pool.nodeLabels,
    image: pool.image,
  });
  switch (placement.kind) {
    case "place":
      actions.push({ kind: "wait", pool: pool.key, reason: null }, { kind: "start", pool: pool.key, gpus: placement.gpus, ...(s.nodes ? { node: placement.node } : {}) });
      instances.push({ id: `a new ${pool.name}`, key: pool.key, state: "starting", inFlight: 0, concurrency: pool.concurrency, lastUsedAt: s.now, gpuIndices: placement.gpus, node: placement.node });
      return;
    case "evict":
      // Scale-out only uses free GPUs; stopping another model's instance is for a pool that has none.
      if (liveNow.length > 0 && !wantWarm) {
        actions.push({ kind: "wait", pool: pool.key, reason: null });
        return;
      }
      actions.push({ kind: "wait", pool: pool.key, reason: `evicting ${placement.instanceIds.join(", ")} to free GPU ${placement.gpus.join(", ")}${s.nodes && s.nodes.length > 1 ? ` on ${placement.node}` : ""}` });
      for (const id of placement.instanceIds) {
        actions.push({ kind: "stop", instanceId: id, reason: `evicted (least recently used) to make room for ${pool.name}` });
        const victim = instances.find((i) => i.id === id);
        if (victim) victim.state = "stopping";
      }
      return;
    case "wait":
      actions.push({ kind: "wait", pool: pool.key, reason: placement.reason });
      return;
    case "impossible": {
      actions.push({ kind: "wait", pool: pool.key, reason: `${pool.name} ${placement.reason}` });
      const note = s.inventoryNote ? ` (${s.inventoryNote})` : "";
      if (liveNow.length === 0 && pool.queued > 0) actions.push({ kind: "fail", pool: pool.key, error: { kind: "gpu", message: `${pool.name} ${placement.reason}${note}` } });
      return;
    }
  }
}

/** Instances as placement sees them: anything on its way out still holds its GPUs. */
function placed(pools: readonly PlanPool[], instances: readonly PlanInstance[]): NodePlacedInstance[] {
  return instances.map((i) => {
    const pool = pools.find((p) => p.key === i.key);
    const liveCount = instances.filter((x) => x.key === i.key && LIVE.has(x.state)).length;
    const keepWarm = !!pool && keptWarm(pool, liveCount);
    const state = i.state === "starting" ? "starting" : i.state === "ready" || i.state === "unhealthy" ? "ready" : "stopping";
    return { id: i.id, versionId: i.key, gpuIndices: i.gpuIndices, inFlight: i.inFlight, lastUsedAt: i.lastUsedAt, state, keepWarm, node: i.node ?? LOCAL_NODE };
  });
}

export type RequestDecision = { kind: "lease"; instanceId: string } | { kind: "queue" } | { kind: "fail"; why: "closed" | "setup" | "canceled" | "full" };

/** A prediction asks for a slot: a free one at once when nobody waits before it, else the queue (bounded). */
export function decideRequest(r: { closed: boolean; setupFailed: boolean; aborted: boolean; queued: number; queueFull: boolean; freeInstanceId: string | null }): RequestDecision {
  if (r.closed) return { kind: "fail", why: "closed" };
  if (r.setupFailed) return { kind: "fail", why: "setup" };
  if (r.aborted) return { kind: "fail", why: "canceled" };
  if (r.freeInstanceId !== null && r.queued === 0) return { kind: "lease", instanceId: r.freeInstanceId };
  if (r.queueFull) return { kind: "fail", why: "full" };
  return { kind: "queue" };
}

/** An instance's idle timer fired: stop it unless it got work, left `ready`, or is needed to keep the pool warm. */
export function decideIdle(i: { state: PlanInstance["state"]; inFlight: number; keptWarm: boolean }): "stop" | "keep" {
  return i.inFlight === 0 && i.state === "ready" && !i.keptWarm ? "stop" : "keep";
}
