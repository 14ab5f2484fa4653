// Containers that died: the engine's die/oom events, the wait backstop, and cleaning up after an exit
// (the exit reason and last logs remembered for the predictions that were running, crash backoff).
import type { ContainerEvent, ContainerExit } from "../runtime/runtime.ts";
import { countFailure } from "./backoff.ts";
import { clearTimers, forget, type SchedulerState, tellEnded } from "./state.ts";
import type { Instance } from "./instance-state.ts";
import { describeExit } from "./exit.ts";

export async function onEvent(c: SchedulerState, e: ContainerEvent): Promise<void> {
  const inst = [...c.instances.values()].find((i) => i.containerId !== null && i.containerId === e.containerId);
  if (!inst) return;
  if (e.action === "oom") inst.oomSeen = true;
  if (e.action !== "die") return;
  // The "oom" event comes before "die"; inspect as well in case the stream missed it.
  const oom = inst.oomSeen || (await c.deps.runtime.inspect(e.containerId).then((s) => s.oomKilled, () => false));
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
  const logs = inst.containerId ? await c.deps.runtime.logs(inst.containerId, 50).catch(() => "") : "";
  tellEnded(inst, describeExit(exit, inst.limits), logs);
  forget(c, inst);
  if (inst.containerId) void c.deps.runtime.remove(inst.containerId).catch(() => {});
  if (pool) countFailure(c, pool);
  c.tell({ kind: "changed" });
}

export function watchExit(c: SchedulerState, inst: Instance): void {
  // Backstop for the event stream (which may be reconnecting): the engine answers this when the container exits.
  void c.deps.runtime.wait(inst.containerId!).then(
    (exit) => containerExited(c, inst.id, exit),
    () => {},
  );
}
