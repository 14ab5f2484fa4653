// Stopping instances: at once (stop), gracefully (drain: in-flight work gets a grace period),
// `modelhub stop` (stopWhere), and retiring instances a new release or a deleted deployment replaced.
import { type ContainerLimits, RuntimeError } from "../runtime/runtime.ts";
import { clearTimers, failWaiters, forget, live, nodeOf, type SchedulerState, tellEnded, whenGone } from "./state.ts";
import type { Pool } from "./pool.ts";
import type { Instance } from "./instance-state.ts";

/** How long a replaced instance (new release, deleted deployment) may finish its work. */
export const DEFAULT_RETIRE_MS = 10 * 60_000;

export function stop(c: SchedulerState, inst: Instance, reason: string): Promise<void> {
  if (inst.state === "stopping") return whenGone(c, inst);
  const wasDead = inst.state === "dead";
  inst.state = "stopping";
  inst.stopReason = reason;
  clearTimers(c, inst);
  // Predictions still running on it fail with this reason rather than "lost contact".
  if (inst.inFlight > 0) tellEnded(inst, reason, "");
  const gone = whenGone(c, inst);
  void (async () => {
    try {
      if (inst.containerId && !wasDead) await nodeOf(c, inst).stop(inst.containerId, c.deps.stopTimeoutSeconds ?? 5);
      else if (inst.containerId) await nodeOf(c, inst).remove(inst.containerId);
    } catch (err) {
      c.deps.logger.warn("could not stop container", { instance: inst.id, error: (err as Error).message });
    } finally {
      forget(c, inst);
      c.tell({ kind: "changed" });
    }
  })();
  return gone;
}

/**
 * Stops an instance gracefully: it takes no new work, in-flight predictions get `graceMs` to finish,
 * then the container is stopped and whatever still runs fails with `reason`.
 */
export function drain(c: SchedulerState, instanceId: string, graceMs: number, reason: string): Promise<void> {
  const inst = c.instances.get(instanceId);
  if (!inst) return Promise.resolve();
  if (inst.state === "stopping" || inst.state === "draining") return whenGone(c, inst);
  if (inst.inFlight === 0 || inst.state === "starting" || inst.state === "dead") return stop(c, inst, reason);
  inst.state = "draining";
  inst.stopReason = reason;
  clearTimers(c, inst);
  // The idle timer slot doubles as the grace timer; the last release stops it sooner.
  inst.idleTimer = c.deps.clock.setTimeout(
    () => void stop(c, inst, `${reason}; its ${Math.round(graceMs / 1000)} s grace period ran out`),
    graceMs,
  );
  c.tell({ kind: "changed" }); // queued work of this pool may need another instance
  return whenGone(c, inst);
}

/**
 * `modelhub stop`: drains the matching instances (in-flight work gets `graceMs`, then fails with
 * `reason`), fails their pools' queued predictions with `reason`, and pauses keep-warm for those
 * pools until their next prediction, so a stopped model stays stopped.
 */
export async function stopWhere(
  c: SchedulerState,
  match: (x: { model: string; deployment: string | null; versionId: string; instanceId?: string }) => boolean,
  graceMs: number,
  reason: string,
): Promise<{ stopped: string[]; failedQueued: number }> {
  let failedQueued = 0;
  const targets = [...c.instances.values()].filter((i) => i.state !== "stopping" && match({ model: i.model, deployment: i.deployment, versionId: i.versionId, instanceId: i.id }));
  const keys = new Set(targets.map((i) => i.key));
  for (const pool of c.pools.values()) {
    // Stopping one instance pauses its pool's keep-warm; stopping a whole model also ends its queue.
    const whole = match({ model: pool.spec.model, deployment: pool.spec.deployment ?? null, versionId: pool.spec.versionId });
    if (whole || keys.has(pool.key)) pool.suspended = true;
    if (!whole) continue;
    failedQueued += pool.queue.length;
    failWaiters(pool, new RuntimeError(reason));
  }
  await Promise.all(targets.map((i) => drain(c, i.id, graceMs, reason)));
  return { stopped: targets.map((i) => i.id), failedQueued };
}

/** Drains every instance of a pool (a deleted deployment); accepted work still runs. */
export function retire(c: SchedulerState, key: string, reason: string, graceMs: number): void {
  const pool = c.pools.get(key);
  if (pool) pool.warm = false;
  for (const inst of live(c, key)) void drain(c, inst.id, graceMs, reason);
}

const sameLimits = (a: ContainerLimits | null, b: ContainerLimits | undefined) =>
  !b || (!!a && a.memoryBytes === b.memoryBytes && a.cpus === b.cpus && a.pids === b.pids);

/** Drains the pool's instances that no longer match its spec (another version, GPU count, pinning or limits). */
export function retireStale(c: SchedulerState, pool: Pool, graceMs: number): void {
  const spec = pool.spec;
  for (const inst of live(c, pool.key)) {
    const pinnedOk = !spec.pinnedGpus?.length || spec.pinnedGpus.join() === inst.gpuIndices.join();
    const nodeOk = onAllowedNode(c, inst.node, spec);
    if (inst.versionId === spec.versionId && inst.gpuIndices.length === spec.gpuCount && pinnedOk && nodeOk && sameLimits(inst.limits, spec.limits)) continue;
    const where = nodeOk ? "" : ` on node ${spec.node ?? Object.entries(spec.nodeLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(",")}`;
    void drain(c, inst.id, graceMs, `replaced: ${spec.deployment ?? spec.model} now runs ${spec.versionId.slice(0, 12)} on ${spec.gpuCount} GPU(s)${where}${sameLimits(inst.limits, spec.limits) ? "" : " with new container limits"}`);
  }
}

/** Whether an instance's node is one its spec allows (a pinned node, or nodes with its labels). */
function onAllowedNode(c: SchedulerState, node: string, spec: Pool["spec"]): boolean {
  if (spec.node && spec.node !== node) return false;
  const want = Object.entries(spec.nodeLabels ?? {});
  if (!want.length) return true;
  const labels = c.nodes.views().find((n) => n.name === node)?.labels ?? {};
  return want.every(([k, v]) => labels[k] === v);
}
