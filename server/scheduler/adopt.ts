// Adoption: taking over the containers a previous run of this modelhub left, or removing them.
import { type ContainerState, INSTANCE_LABEL } from "../runtime/runtime.ts";
import type { Core } from "./core.ts";
import { leftoverGpus, newInstance } from "./instance.ts";
import type { RunSpec } from "./types.ts";

/**
 * Takes over containers a previous run of this modelhub left (found by label): healthy ones whose
 * version still resolves become ready instances; everything else is removed.
 */
export async function adopt(
  c: Core,
  containers: readonly ContainerState[],
  resolve: (labels: Record<string, string>) => RunSpec | null,
): Promise<{ adopted: number; removed: number }> {
  let adopted = 0;
  let removed = 0;
  for (const ct of containers) {
    const spec = ct.running && ct.hostPort ? resolve(ct.labels) : null;
    const gpus = leftoverGpus(ct, spec, c.deps.inventory, new Set([...c.instances.values()].flatMap((i) => i.gpuIndices)));
    const baseUrl = `http://127.0.0.1:${ct.hostPort}`;
    // Only an idle READY container is safe: a BUSY one is still running a prediction whose caller is gone.
    if (gpus && (await c.probe(baseUrl, 1000)).status === "READY") {
      const now = c.deps.clock.now();
      const inst = newInstance(spec!, gpus, now, c.deps.inventory);
      inst.id = ct.labels[INSTANCE_LABEL] ?? inst.id;
      inst.containerId = ct.id;
      inst.baseUrl = baseUrl;
      inst.state = "ready";
      inst.adopted = true;
      inst.createdAt = ct.startedAt ? Date.parse(ct.startedAt) : now;
      inst.readyAt = now;
      c.pool(spec!);
      c.instances.set(inst.id, inst);
      c.watchExit(inst);
      c.monitor.watch(inst);
      c.armIdle(inst);
      adopted++;
    } else {
      await c.deps.runtime.remove(ct.id).catch(() => {});
      removed++;
    }
  }
  c.pump();
  return { adopted, removed };
}
