// Re-attaching an async prediction a previous run left in a container that survived it: its webhooks are merged again and its end is stored.
import type { Version } from "../catalog/catalog.ts";
import { cancelPrediction, type CogPrediction } from "../runtime/cog-client.ts";
import type { Lease } from "../scheduler/scheduler.ts";
import type { LiveRecords, Running } from "./live-records.ts";
import { outputInfo } from "./output-schema.ts";
import type { PredictionRunner } from "./run-prediction.ts";
import type { ServiceDeps } from "./service-deps.ts";
import type { PredictionRecord } from "./store.ts";

const LIVENESS_POLL_MS = 500;
/** The least time a re-attached prediction gets for its answer: the container retries its `completed` webhook for minutes. */
const MIN_WAIT_MS = 30_000;

/**
 * Rebuilds the Running record of `rec` (stored as `processing`) around the lease its adopted
 * container holds, so the container's webhooks (same token, same listener port) complete it as if
 * modelhub had never stopped. A container that dies, or sends no terminal webhook before the
 * prediction's timeout, fails it with a reason.
 */
export function reattach(deps: ServiceDeps, records: LiveRecords, runner: PredictionRunner, rec: PredictionRecord, version: Version, webhookToken: string, lease: Lease): Running {
  let resolveTerminal!: (p: CogPrediction) => void;
  const promise = new Promise<CogPrediction>((res) => (resolveTerminal = res));
  const r: Running = {
    rec,
    abort: new AbortController(),
    baseUrl: lease.baseUrl,
    instanceId: lease.instanceId,
    cancelRequested: false,
    clientWaits: false,
    hasOwnFiles: false,
    persisted: true,
    writtenStatus: rec.status,
    streamSubscribers: 0,
    path: "async",
    webhookToken,
    // Cog resends its whole logs and iterator output each time; what was stored is what was merged.
    rawLogsSeen: rec.logs.length,
    outputsMerged: Array.isArray(rec.output) ? rec.output.length : 0,
    merging: Promise.resolve(),
    webhooksSeen: 0,
    terminal: { resolve: resolveTerminal, promise },
  };
  records.running.set(rec.id, r);
  deps.callbacks?.restoreWebhook(rec.id, webhookToken);
  void watch(deps, records, runner, r, version, lease);
  return r;
}

async function watch(deps: ServiceDeps, records: LiveRecords, runner: PredictionRunner, r: Running, version: Version, lease: Lease): Promise<void> {
  const rec = r.rec;
  const startedAt = rec.startedAt ? Date.parse(rec.startedAt) : deps.clock.now();
  const timeoutMs = deps.policy.predictTimeoutMs;
  const waitMs = Math.max(MIN_WAIT_MS, startedAt + timeoutMs - deps.clock.now());
  let poll: ReturnType<typeof setInterval> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await new Promise<{ kind: "done"; p: CogPrediction } | { kind: "gone" | "timeout" | "aborted" }>((resolve) => {
    r.terminal!.promise.then((p) => resolve({ kind: "done", p }));
    poll = setInterval(() => {
      const inst = deps.scheduler.get(lease.instanceId);
      if (!inst || inst.state === "dead") resolve({ kind: "gone" });
    }, LIVENESS_POLL_MS);
    timer = setTimeout(() => resolve({ kind: "timeout" }), waitMs);
    r.abort.signal.addEventListener("abort", () => resolve({ kind: "aborted" }), { once: true });
  });
  clearInterval(poll);
  clearTimeout(timer);
  try {
    if (outcome.kind === "done") {
      setImmediate(lease.release);
      await runner.complete(r, outcome.p, outputInfo(version), deps.clock.now() - startedAt);
      return;
    }
    if (r.cancelRequested) records.finish(rec, { status: "canceled" });
    else if (outcome.kind === "gone") {
      const exit = deps.scheduler.exitReason(lease.instanceId);
      records.finish(rec, {
        status: "failed",
        error: `modelhub restarted while this prediction was running, and then its container stopped${exit ? ` (${exit.reason})` : ""}; run it again`,
        ...(exit?.logs ? { logs: exit.logs } : {}),
      });
    } else {
      void cancelPrediction(lease.baseUrl, rec.id);
      records.finish(rec, {
        status: "failed",
        error: `modelhub restarted while this prediction was running, and its container sent no answer within ${Math.round(waitMs / 1000)} s of that (the limit is ${Math.round(timeoutMs / 1000)} s); run it again`,
      });
    }
  } finally {
    lease.release();
  }
}
