// Adoption: taking over the containers a previous run of this modelhub left, or removing them.
import { INSTANCE_LABEL } from "../runtime/runtime.ts";
import type { ListedInstance } from "../runtime/runtime-node.ts";
import { watchExit } from "./deaths.ts";
import { armIdle } from "./idle.ts";
import { lease } from "./lease.ts";
import { poolFor } from "./pool.ts";
import { nodeOf, type SchedulerState } from "./state.ts";
import { leftoverGpus, newInstance } from "./instance.ts";
import type { Lease } from "./instance-state.ts";
import type { RunSpec } from "./run-spec.ts";

/**
 * Takes over containers a previous run of this modelhub left (found by label): healthy idle ones
 * whose version still resolves become ready instances. A busy one is adopted only when `held` names
 * the predictions still running in it (async ones whose answer can still come back): each gets a
 * lease on it, so nothing else is sent there until it ends. Everything else is removed.
 */
export async function adopt(
  c: SchedulerState,
  node: string,
  containers: readonly ListedInstance[],
  resolve: (labels: Record<string, string>) => RunSpec | null,
  held: (instanceId: string) => readonly string[] = () => [],
): Promise<{ adopted: number; removed: number; leases: { predictionId: string; lease: Lease }[] }> {
  let adopted = 0;
  let removed = 0;
  const leases: { predictionId: string; lease: Lease }[] = [];
  const nodeGpus = c.nodes.views().find((n) => n.name === node)?.gpus ?? [];
  for (const ct of containers) {
    const spec = ct.running && ct.endpoint ? resolve(ct.labels) : null;
    const taken = new Set([...c.instances.values()].filter((i) => i.node === node).flatMap((i) => i.gpuIndices));
    const gpus = leftoverGpus(ct, spec, nodeGpus, taken);
    const baseUrl = ct.endpoint ?? "";
    const instanceId = ct.labels[INSTANCE_LABEL];
    const running = gpus && instanceId ? held(instanceId) : [];
    // An idle READY container is safe; a BUSY one only when its work is re-attached (its caller is otherwise gone).
    const status = gpus ? (await c.deps.probe(baseUrl, 1000)).status : null;
    if (gpus && (status === "READY" || (status === "BUSY" && running.length > 0))) {
      const now = c.deps.clock.now();
      const inst = newInstance(spec!, node, gpus, now, nodeGpus);
      inst.id = instanceId ?? inst.id;
      inst.containerId = ct.handle;
      inst.baseUrl = baseUrl;
      inst.state = "ready";
      inst.adopted = true;
      inst.createdAt = ct.startedAt ? Date.parse(ct.startedAt) : now;
      inst.readyAt = now;
      poolFor(c, spec!);
      c.instances.set(inst.id, inst);
      watchExit(c, inst);
      c.monitor.watch(inst);
      for (const predictionId of running) leases.push({ predictionId, lease: lease(c, inst, predictionId) });
      armIdle(c, inst);
      adopted++;
    } else {
      await nodeOf(c, { node }).remove(ct.handle).catch(() => {});
      removed++;
    }
  }
  c.tell({ kind: "changed" });
  return { adopted, removed, leases };
}
