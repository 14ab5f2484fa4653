// The applier: every event the parts report comes here; it asks the pure planner (planner.ts) what
// to do and does it: hands slots to waiters, starts and stops instances, fails queues, arms timers.
import { GpuUnavailableError } from "../runtime/runtime.ts";
import { countFailure } from "./backoff.ts";
import { armIdle } from "./idle.ts";
import { start } from "./launch.ts";
import { lease } from "./lease.ts";
import { decideIdle, type PlanAction, type PlanState, plan } from "./planner.ts";
import { clearIdle, failWaiters, poolKeptWarm, type SchedulerEvent, type SchedulerState } from "./state.ts";
import { stop } from "./stopping.ts";

export function handle(c: SchedulerState, e: SchedulerEvent): void {
  switch (e.kind) {
    case "changed":
      return pump(c);
    case "ready":
      c.monitor.watch(e.inst);
      pump(c);
      if (e.inst.inFlight === 0) armIdle(c, e.inst);
      return;
    case "released":
      if (e.inst.state === "draining" && e.inst.inFlight === 0) void stop(c, e.inst, e.inst.stopReason ?? "stopped");
      pump(c);
      if (e.inst.inFlight === 0 && e.inst.state === "ready") armIdle(c, e.inst);
      return;
    case "idle": {
      const pool = c.pools.get(e.inst.key);
      // Keep-warm is checked again: the min may have been raised since the timer was armed.
      if (!pool || decideIdle({ state: e.inst.state, inFlight: e.inst.inFlight, keptWarm: poolKeptWarm(c, pool) }) === "keep") return;
      c.deps.logger.info("stopping idle container", { model: e.inst.model, instance: e.inst.id, idleMs: pool.spec.idleTimeoutMs });
      void stop(c, e.inst, "stopped after its idle timeout");
      return;
    }
    case "unhealthy":
      e.inst.state = "unhealthy";
      clearIdle(c, e.inst);
      return pump(c); // its queue may need another instance
    case "healthy":
      e.inst.state = "ready";
      pump(c);
      if (e.inst.inFlight === 0) armIdle(c, e.inst);
      return;
    case "broken": {
      const pool = c.pools.get(e.inst.key);
      if (pool && e.countsAsFailure) countFailure(c, pool);
      void stop(c, e.inst, e.reason);
      return;
    }
  }
}

/** Re-plans everything and applies the plan; called after every change, so "wait" needs no timer. */
export function pump(c: SchedulerState): void {
  if (c.pumping) {
    c.pumpAgain = true;
    return;
  }
  c.pumping = true;
  try {
    do {
      c.pumpAgain = false;
      if (c.closed) return;
      const s = snapshot(c);
      if (s) for (const a of plan(s)) apply(c, a);
    } while (c.pumpAgain && !c.closed);
  } finally {
    c.pumping = false;
  }
}

/** What the planner sees; null when no pool has work waiting or instances to keep warm (nothing to plan). */
function snapshot(c: SchedulerState): PlanState | null {
  let work = false;
  for (const p of c.pools.values()) if (p.queue.length > 0 || p.warm) work = true;
  if (!work) return null;
  return {
    now: c.deps.clock.now(),
    gpus: c.deps.inventory.gpus,
    nodes: c.nodes.views(),
    inventoryNote: c.deps.inventory.note,
    pools: [...c.pools.values()].map((p) => ({
      key: p.key,
      name: p.spec.deployment ?? p.spec.model,
      gpuCount: p.spec.gpuCount,
      pinnedGpus: p.spec.pinnedGpus,
      concurrency: p.spec.concurrency,
      minInstances: p.spec.minInstances ?? 0,
      maxInstances: p.spec.maxInstances ?? 1,
      queued: p.queue.length,
      oldestEnqueuedAt: p.queue[0]?.enqueuedAt ?? 0,
      warm: p.warm,
      suspended: p.suspended,
      setupFailed: !!p.setupError,
      backoffUntil: p.backoffUntil,
      failures: p.failures,
      node: p.spec.node,
      nodeLabels: p.spec.nodeLabels,
      image: p.spec.image,
    })),
    instances: [...c.instances.values()].map((i) => ({ id: i.id, key: i.key, state: i.state, inFlight: i.inFlight, concurrency: i.concurrency, lastUsedAt: i.lastUsedAt, gpuIndices: i.gpuIndices, node: i.node })),
  };
}

function apply(c: SchedulerState, a: PlanAction): void {
  switch (a.kind) {
    case "lease": {
      const pool = c.pools.get(a.pool);
      const inst = c.instances.get(a.instanceId);
      const w = pool?.queue.shift();
      if (!w || !inst) return;
      if (w.onAbort) w.signal?.removeEventListener("abort", w.onAbort);
      w.resolve(lease(c, inst, w.predictionId));
      return;
    }
    case "start": {
      const pool = c.pools.get(a.pool);
      if (pool) start(c, pool, a.gpus, a.node);
      return;
    }
    case "stop": {
      const inst = c.instances.get(a.instanceId);
      if (inst) void stop(c, inst, a.reason);
      return;
    }
    case "fail": {
      const pool = c.pools.get(a.pool);
      if (!pool) return;
      failWaiters(pool, a.error.kind === "setup" && pool.setupError ? pool.setupError : new GpuUnavailableError(a.error.kind === "gpu" ? a.error.message : "cannot run"));
      return;
    }
    case "wait": {
      const pool = c.pools.get(a.pool);
      if (!pool) return;
      pool.waitReason = a.reason;
      if (a.until !== undefined && !pool.backoffTimer)
        pool.backoffTimer = c.deps.clock.setTimeout(() => {
          pool.backoffTimer = undefined;
          pump(c);
        }, a.until - c.deps.clock.now());
      return;
    }
  }
}
