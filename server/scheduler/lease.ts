// A lease: one slot on a ready instance, held by one prediction until released. Releasing records
// the predict time and reports to the applier, which re-plans and arms the idle timer.
import type { SchedulerState } from "./state.ts";
import type { Instance, InstanceEnd, Lease } from "./instance-state.ts";

let leaseSeq = 0;

export function lease(c: SchedulerState, inst: Instance, predictionId?: string): Lease {
  const { clock } = c.deps;
  const id = leaseSeq++;
  const startedAt = clock.now();
  inst.inFlight++;
  inst.leases.set(id, { startedAt, predictionId });
  inst.lastUsedAt = startedAt;
  clock.clearTimeout(inst.idleTimer);
  inst.idleTimer = undefined;
  let released = false;
  let ended: Promise<InstanceEnd> | null = null;
  let watcher: ((end: InstanceEnd) => void) | null = null;
  return {
    instanceId: inst.id,
    containerId: inst.containerId!,
    baseUrl: inst.baseUrl!,
    adopted: inst.adopted,
    get ended() {
      if (!ended) ended = inst.end ? Promise.resolve(inst.end) : new Promise<InstanceEnd>((resolve) => inst.endWatchers.add((watcher = resolve)));
      return ended;
    },
    release: () => {
      if (released) return;
      released = true;
      if (watcher) inst.endWatchers.delete(watcher);
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
      c.tell({ kind: "released", inst });
    },
  };
}
