// Idle stop and keep-warm: the idle timer of an instance with nothing to do, and which pools are
// kept at their min instances.
import { poolFor } from "./pool.ts";
import { poolKeptWarm, type SchedulerState } from "./state.ts";
import type { Instance } from "./instance-state.ts";
import { poolKey, type RunSpec } from "./run-spec.ts";

/**
 * The idle timer runs only at zero leases and is cleared by the next lease, so idle stop never
 * kills live work. Keep-warm instances (up to the pool's min) never idle out. When it fires, the
 * applier decides (planner.decideIdle).
 */
export function armIdle(c: SchedulerState, inst: Instance): void {
  c.deps.clock.clearTimeout(inst.idleTimer);
  inst.idleTimer = undefined;
  const pool = c.pools.get(inst.key);
  if (!pool || inst.state !== "ready" || inst.inFlight > 0) return;
  const ms = pool.spec.idleTimeoutMs;
  if (ms < 0) return;
  if (poolKeptWarm(c, pool)) return;
  inst.idleTimer = c.deps.clock.setTimeout(() => {
    inst.idleTimer = undefined;
    c.tell({ kind: "idle", inst });
  }, ms);
}

/** The pools that must keep min instances up (model policies and deployments); started now, restarted after crashes. */
export function setWarm(c: SchedulerState, specs: readonly RunSpec[]): void {
  const want = new Map(specs.filter((s) => (s.minInstances ?? 0) > 0).map((s) => [poolKey(s), s]));
  for (const pool of c.pools.values()) if (!want.has(pool.key)) pool.warm = false;
  for (const spec of want.values()) poolFor(c, spec).warm = true;
  // Instances that stopped being warm may now idle out.
  for (const inst of c.instances.values()) if (inst.state === "ready" && inst.inFlight === 0) armIdle(c, inst);
  c.tell({ kind: "changed" });
}
