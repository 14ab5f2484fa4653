// The scheduler's loop: handing free slots to queued callers (leases) and deciding, per pool, whether
// to start, evict or wait for another instance.
import { GpuUnavailableError } from "../runtime/runtime.ts";
import { type Core, failWaiters, freeInstance, live, placed } from "./core.ts";
import { choosePlacement, shouldScaleOut } from "./placement.ts";
import type { Pool } from "./pool.ts";
import type { Instance, Lease } from "./types.ts";

let leaseSeq = 0;

/**
 * Re-plans everything: hands free slots to waiters, then starts, evicts or waits for capacity.
 * Called after every change (new waiter, release, ready, exit, stop), so "wait" needs no timer.
 */
export function pump(c: Core): void {
  if (c.pumping) {
    c.pumpAgain = true;
    return;
  }
  c.pumping = true;
  try {
    do {
      c.pumpAgain = false;
      // The oldest waiting request gets the next free GPU, whichever model it is for.
      const busy = [...c.pools.values()].filter((p) => p.queue.length > 0).sort((a, b) => a.queue[0].enqueuedAt - b.queue[0].enqueuedAt);
      for (const pool of busy) {
        serve(c, pool);
        if (pool.queue.length > 0) plan(c, pool, false);
        else pool.waitReason = null;
      }
      for (const pool of c.pools.values()) if (pool.warm && pool.queue.length === 0) plan(c, pool, true);
    } while (c.pumpAgain && !c.closed);
  } finally {
    c.pumping = false;
  }
}

function serve(c: Core, pool: Pool): void {
  while (pool.queue.length) {
    const inst = freeInstance(c, pool.key);
    if (!inst) return;
    const w = pool.queue.shift()!;
    if (w.onAbort) w.signal?.removeEventListener("abort", w.onAbort);
    w.resolve(lease(c, inst, w.predictionId));
  }
}

/** Decides whether this pool gets another instance now, and where. */
function plan(c: Core, pool: Pool, warmOnly: boolean): void {
  if (c.closed) return;
  const spec = pool.spec;
  if (pool.setupError) {
    failWaiters(pool, pool.setupError);
    return;
  }
  const liveNow = live(c, pool.key);
  const min = pool.warm && !pool.suspended ? (spec.minInstances ?? 0) : 0;
  const max = Math.max(1, spec.maxInstances ?? 1);
  const wantWarm = liveNow.length < Math.min(min, max);
  const wantQueue =
    !warmOnly &&
    shouldScaleOut({
      queued: pool.queue.length,
      // An unhealthy instance takes no work but still counts toward the cap.
      instances: liveNow.map((i) => ({ state: i.state === "starting" ? "starting" : "ready", inFlight: i.state === "unhealthy" ? i.concurrency : i.inFlight })),
      maxInstances: max,
      concurrencyPerInstance: Math.max(1, spec.concurrency),
    });
  if (!wantWarm && !wantQueue) return;
  const now = c.deps.clock.now();
  if (pool.backoffUntil > now) {
    pool.waitReason = `restarting in ${Math.ceil((pool.backoffUntil - now) / 1000)} s after ${pool.failures} failures in a row`;
    if (!pool.backoffTimer)
      pool.backoffTimer = c.deps.clock.setTimeout(() => {
        pool.backoffTimer = undefined;
        c.pump();
      }, pool.backoffUntil - now);
    return;
  }
  const placement = choosePlacement(c.deps.inventory.gpus, placed(c), { versionId: pool.key, gpuCount: spec.gpuCount, pinned: spec.pinnedGpus });
  const name = spec.deployment ?? spec.model;
  switch (placement.kind) {
    case "place":
      pool.waitReason = null;
      c.start(pool, placement.gpus);
      return;
    case "evict":
      // Scale-out only uses free GPUs; stopping another model's instance is for a pool that has none.
      if (liveNow.length > 0 && !wantWarm) {
        pool.waitReason = null;
        return;
      }
      pool.waitReason = `evicting ${placement.instanceIds.join(", ")} to free GPU ${placement.gpus.join(", ")}`;
      for (const id of placement.instanceIds) {
        const victim = c.instances.get(id);
        if (victim) void c.stop(victim, `evicted (least recently used) to make room for ${name}`);
      }
      return;
    case "wait":
      pool.waitReason = placement.reason;
      return;
    case "impossible": {
      const note = c.deps.inventory.note ? ` (${c.deps.inventory.note})` : "";
      pool.waitReason = `${name} ${placement.reason}`;
      if (liveNow.length === 0) failWaiters(pool, new GpuUnavailableError(`${name} ${placement.reason}${note}`));
      return;
    }
  }
}

export function lease(c: Core, inst: Instance, predictionId?: string): Lease {
  const { clock } = c.deps;
  const id = leaseSeq++;
  const startedAt = clock.now();
  inst.inFlight++;
  inst.leases.set(id, { startedAt, predictionId });
  inst.lastUsedAt = startedAt;
  clock.clearTimeout(inst.idleTimer);
  inst.idleTimer = undefined;
  let released = false;
  return {
    instanceId: inst.id,
    containerId: inst.containerId!,
    baseUrl: inst.baseUrl!,
    adopted: inst.adopted,
    ended: inst.ended,
    release: () => {
      if (released) return;
      released = true;
      const now = clock.now();
      inst.inFlight--;
      inst.leases.delete(id);
      inst.lastUsedAt = now;
      if (inst.state === "ready") {
        c.stats.recordPredict(inst.versionId, now - startedAt);
        // It survived a whole prediction: the crash streak is over.
        const pool = c.pools.get(inst.key);
        if (pool) pool.failures = 0;
        c.monitor.sampleMemory(inst, 1_000);
      }
      if (inst.state === "draining" && inst.inFlight === 0) void c.stop(inst, inst.stopReason ?? "stopped");
      c.pump();
      if (inst.inFlight === 0 && inst.state === "ready") c.armIdle(inst);
    },
  };
}
