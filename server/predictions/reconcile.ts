// After a restart: what a previous run of modelhub left. Its containers are adopted or removed; an
// async prediction still running in a container that survived is re-attached; every other
// unfinished prediction fails with a reason, so nothing stays "starting" or "processing" forever.
import type { Logger } from "../log.ts";
import { type ContainerRuntime, OWNER_LABEL, POOL_LABEL, VERSION_LABEL } from "../runtime/runtime.ts";
import type { Lease, RunSpec, Scheduler } from "../scheduler/scheduler.ts";
import type { CallbackRegistry } from "./callbacks.ts";
import type { PredictionService } from "./service.ts";
import type { PredictionRecord, PredictionStore } from "./store.ts";

export interface ReconcileDeps {
  store: PredictionStore;
  callbacks: CallbackRegistry;
  scheduler: Scheduler;
  runtime: ContainerRuntime;
  predictions: PredictionService;
  /** the spec a leftover container (by its pool and version labels) would serve now, or null */
  specForPool(pool: string, versionId: string): RunSpec | null;
  logger: Logger;
  /** this server's owner label value: only its own containers are touched */
  owner: string;
}

/**
 * Async predictions a previous run left in flight can be taken back when their containers still
 * run them and can still reach the callback listener: `listenerPort` is where it listens now
 * (null: not at all), `previousPort` where it listened before.
 */
export async function reconcileLeftovers(d: ReconcileDeps, listenerPort: number | null, previousPort: number | null): Promise<void> {
  const { store, callbacks, logger } = d;
  const unfinished = store.unfinished();
  const recoverable = listenerPort !== null && listenerPort === previousPort ? callbacks.persistedWebhooks() : new Map<string, string>();
  const heldBy = new Map<string, string[]>();
  for (const p of unfinished)
    if (p.status === "processing" && p.instanceId && recoverable.has(p.id)) heldBy.set(p.instanceId, [...(heldBy.get(p.instanceId) ?? []), p.id]);
  const leases = await adoptLeftovers(d, (instanceId) => heldBy.get(instanceId) ?? []);
  const reattached = new Set<string>();
  for (const p of unfinished) {
    const lease = leases.get(p.id);
    if (!lease) continue;
    d.predictions.reattach(p, recoverable.get(p.id)!, lease);
    reattached.add(p.id);
  }
  if (reattached.size) logger.info("re-attached predictions left running by a previous run", { count: reattached.size });
  // Async predictions whose container may still run but cannot reach this listener: its port was taken.
  const lostPort = !!previousPort && listenerPort !== previousPort ? new Set(callbacks.persistedWebhooks().keys()) : new Set<string>();
  failUnfinished(store, unfinished.filter((p) => !reattached.has(p.id)), lostPort, logger);
  for (const [id, token] of callbacks.persistedWebhooks()) if (!reattached.has(id)) callbacks.dropWebhook(token);
}

/**
 * Predictions a previous run (a crash or kill -9) left unfinished that could not be re-attached: a
 * sync prediction's answer died with that process, and an async one's container is gone (or can no
 * longer reach the callback listener). Each fails with a reason.
 */
function failUnfinished(store: PredictionStore, unfinished: readonly PredictionRecord[], lostPort: ReadonlySet<string>, logger: Logger): void {
  const now = new Date().toISOString();
  for (const p of unfinished)
    store.update(p.id, {
      status: "failed",
      error:
        p.status !== "processing"
          ? "modelhub stopped before this prediction started; run it again"
          : lostPort.has(p.id)
            ? "modelhub stopped while this prediction was running, and could not listen again on the port its container sends the answer to (it was taken); run it again"
            : "modelhub stopped while this prediction was running, and the model's answer went with it; run it again",
      completedAt: now,
    });
  if (unfinished.length) logger.warn("failed predictions left unfinished by a previous run", { count: unfinished.length });
}

/**
 * This server's containers from a previous run (by owner label): healthy idle ones are adopted, and
 * busy ones still running a prediction that `held` names; the rest are removed. Returns the leases
 * the adopted busy containers hold, by prediction id.
 */
async function adoptLeftovers(d: ReconcileDeps, held: (instanceId: string) => readonly string[]): Promise<Map<string, Lease>> {
  try {
    const leftovers = await d.runtime.list({ [OWNER_LABEL]: d.owner });
    if (!leftovers.length) return new Map();
    const r = await d.scheduler.adopt(
      leftovers,
      (labels) => (labels[POOL_LABEL] && labels[VERSION_LABEL] ? d.specForPool(labels[POOL_LABEL], labels[VERSION_LABEL]) : null),
      held,
    );
    d.logger.info("containers left by a previous run", { adopted: r.adopted, removed: r.removed, busy: r.leases.length });
    return new Map(r.leases.map((l) => [l.predictionId, l.lease]));
  } catch (err) {
    d.logger.warn("could not look for leftover containers", { error: (err as Error).message });
    return new Map();
  }
}
