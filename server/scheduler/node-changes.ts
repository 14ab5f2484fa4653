// What happens to instances when their node changes: lost (it stopped answering) or removed.
import { pump } from "./apply-plan.ts";
import { forget, type SchedulerState, tellEnded } from "./state.ts";
import { stop } from "./stopping.ts";

/**
 * A node stopped answering: its instances are gone as far as modelhub can tell. Predictions running
 * there fail with a reason naming the node; queued ones stay queued and go wherever placement now
 * finds room (the node is down, so not there). Nothing is sent to the node: it cannot answer.
 */
export function nodeLost(c: SchedulerState, name: string, reason: string): string[] {
  const lost = [...c.instances.values()].filter((i) => i.node === name);
  const why = `node ${name} stopped answering (${reason})`;
  for (const inst of lost) {
    inst.state = "stopping"; // a boot in progress gives up, and nothing asks the node to remove it
    inst.stopReason = why;
    tellEnded(inst, why, "");
    forget(c, inst);
  }
  if (lost.length) c.deps.logger.warn("node lost; its instances are gone", { node: name, instances: lost.map((i) => i.id) });
  pump(c);
  return lost.map((i) => i.id);
}

/** Stops every instance on a node that is being removed; running work fails with `reason`. */
export async function stopOn(c: SchedulerState, name: string, reason: string): Promise<void> {
  await Promise.all([...c.instances.values()].filter((i) => i.node === name).map((i) => stop(c, i, reason)));
}
