// Containers that died: the engine's die/oom events, the wait backstop, and cleaning up after an exit
// (the exit reason and last logs remembered for the predictions that were running, crash backoff).
import type { ContainerExit } from "../runtime/runtime.ts";
import type { LifecycleEvent } from "../runtime/runtime-node.ts";
import { countFailure } from "./backoff.ts";
import { clearTimers, forget, nodeOf, type SchedulerState, tellEnded } from "./state.ts";
import type { Instance } from "./instance-state.ts";
import { describeExit } from "./exit.ts";

/** A lifecycle event from `node`'s stream. */
export async function onEvent(c: SchedulerState, node: string, e: LifecycleEvent): Promise<void> {
  const inst = [...c.instances.values()].find((i) => i.node === node && i.containerId !== null && i.containerId === e.handle);
  if (!inst) return;
  if (e.kind === "oom") inst.oomSeen = true;
  if (e.kind !== "exited") return;
  // The "oom" event comes before "die"; inspect as well in case the stream missed it.
  const oom = inst.oomSeen || (await nodeOf(c, inst).oomKilled(e.handle).catch(() => false));
  await containerExited(c, inst.id, { exitCode: e.exitCode ?? -1, oomKilled: oom });
}

/** Marks an instance's container dead (from the event stream or the wait backstop) and cleans it up. */
export async function containerExited(c: SchedulerState, instanceId: string, exit: ContainerExit): Promise<void> {
  const inst = c.instances.get(instanceId);
  if (!inst || inst.state === "dead" || inst.state === "stopping") return;
  const wasStarting = inst.state === "starting";
  inst.exit = exit;
  inst.state = "dead";
  clearTimers(c, inst);
  if (wasStarting) return; // the boot loop reports it
  const pool = c.pools.get(inst.key);
  c.deps.logger.warn("container exited", { model: inst.model, instance: inst.id, exitCode: exit.exitCode, oom: exit.oomKilled });
  // Read the container's last words before removing it: they usually say why it died.
  const logs = inst.containerId ? await nodeOf(c, inst).logs(inst.containerId, 50).catch(() => "") : "";
  tellEnded(inst, describeExit(exit, inst.limits), logs);
  forget(c, inst);
  if (inst.containerId) void nodeOf(c, inst).remove(inst.containerId).catch(() => {});
  if (pool) countFailure(c, pool);
  c.tell({ kind: "changed" });
}

export function watchExit(c: SchedulerState, inst: Instance): void {
  // Backstop for the event stream (which may be reconnecting): the engine answers this when the container exits.
  void nodeOf(c, inst).exited(inst.containerId!).then(
    (exit) => containerExited(c, inst.id, exit),
    () => {},
  );
}
