// Idle stop and keep-warm: when an instance with nothing to do stops, and which pools are kept at
// their min instances.
import { type Core, keptWarm } from "./core.ts";
import { poolKey, type Instance, type RunSpec } from "./types.ts";

/**
 * The idle timer runs only at zero leases and is cleared by the next lease, so idle stop never
 * kills live work. Keep-warm instances (up to the pool's min) never idle out.
 */
export function armIdle(c: Core, inst: Instance): void {
  c.deps.clock.clearTimeout(inst.idleTimer);
  inst.idleTimer = undefined;
  const pool = c.pools.get(inst.key);
  if (!pool || inst.state !== "ready" || inst.inFlight > 0) return;
  const ms = pool.spec.idleTimeoutMs;
  if (ms < 0) return;
  if (keptWarm(c, pool)) return;
  inst.idleTimer = c.deps.clock.setTimeout(() => {
    inst.idleTimer = undefined;
    if (inst.inFlight !== 0 || inst.state !== "ready") return;
    // Re-check keep-warm: the min may have been raised since the timer was armed.
    if (keptWarm(c, pool)) return;
    c.deps.logger.info("stopping idle container", { model: inst.model, instance: inst.id, idleMs: ms });
    void c.stop(inst, "stopped after its idle timeout");
  }, ms);
}

/** The pools that must keep min instances up (model policies and deployments); started now, restarted after crashes. */
export function setWarm(c: Core, specs: readonly RunSpec[]): void {
  const want = new Map(specs.filter((s) => (s.minInstances ?? 0) > 0).map((s) => [poolKey(s), s]));
  for (const pool of c.pools.values()) if (!want.has(pool.key)) pool.warm = false;
  for (const spec of want.values()) c.pool(spec).warm = true;
  // Instances that stopped being warm may now idle out.
  for (const inst of c.instances.values()) if (inst.state === "ready" && inst.inFlight === 0) c.armIdle(inst);
  c.pump();
}
