// A prediction's run once it is recorded: the lease, the path choice, the container call and its final answer.
import type { Version } from "../catalog/catalog.ts";
import { AppError } from "../errors.ts";
import { cancelPrediction, type CogPrediction } from "../runtime/cog-client.ts";
import { DockerUnavailableError, GpuUnavailableError, RuntimeError } from "../runtime/runtime.ts";
import { CanceledError, type Lease, QueueFullError, type RunSpec, SetupFailedError } from "../scheduler/scheduler.ts";
import type { AsyncPath } from "./async-path.ts";
import type { Http1Client } from "./http1.ts";
import { type LiveRecords, PERSIST_DELAY_MS, round, type Running } from "./live-records.ts";
import { finalCapped } from "./log-cap.ts";
import { ingestOutput } from "./output-ingest.ts";
import { type OutputInfo, outputInfo, supportsAsync } from "./output-schema.ts";
import { choosePath } from "./path-choice.ts";
import { maxLogChars, type ServiceDeps } from "./service-deps.ts";
import { callSync } from "./sync-path.ts";

export class PredictionRunner {
  /** moving average of predict time per version, in ms (for the path choice) */
  private typicalMs = new Map<string, number>();

  constructor(
    private deps: ServiceDeps,
    private records: LiveRecords,
    private asyncPath: AsyncPath,
    private http: Http1Client,
  ) {}

  private get maxLogChars(): number {
    return maxLogChars(this.deps.policy);
  }

  async run(r: Running, spec: RunSpec, version: Version): Promise<void> {
    const rec = r.rec;
    let lease: Lease;
    try {
      lease = await this.deps.scheduler.acquire(spec, r.abort.signal, rec.id);
    } catch (err) {
      if (err instanceof CanceledError || r.cancelRequested) return this.records.finish(rec, { status: "canceled" });
      if (err instanceof SetupFailedError) return this.records.finish(rec, { status: "failed", error: err.message, logs: err.logs });
      return this.records.finish(rec, { status: "failed", error: userMessage(err) });
    }
    if (r.cancelRequested) {
      lease.release();
      return this.records.finish(rec, { status: "canceled" });
    }
    r.baseUrl = lease.baseUrl;
    r.instanceId = lease.instanceId;
    const startedAt = new Date(this.deps.clock.now()).toISOString();
    Object.assign(rec, { status: "processing", startedAt, instanceId: lease.instanceId });
    // Written only if it is still running shortly: a fast prediction gets one write at the end.
    r.flushTimer ??= setTimeout(() => this.records.flush(r), PERSIST_DELAY_MS);
    this.deps.events.publish("start", rec);

    const info = outputInfo(version);
    const callbacks = this.deps.callbacks;
    const adopted = this.deps.scheduler.get(lease.instanceId)?.adopted ?? false;
    const filter = rec.webhookEventsFilter;
    const choice = choosePath({
      // An adopted container (from a previous run) has a stale --upload-url: file outputs must come inline.
      asyncCapable: !!callbacks?.base && callbacks.reachable && supportsAsync(version.cogVersion) && !(adopted && info.fileOutput),
      iterator: info.iterator,
      clientWaits: r.clientWaits,
      streamSubscribers: r.streamSubscribers,
      liveWebhook: !!rec.webhook && (filter?.includes("logs") || (info.iterator && (filter ?? ["output"]).includes("output"))),
      typicalPredictMs: this.typicalMs.get(version.id) ?? null,
    });
    r.path = choice.path;
    this.deps.logger.debug("prediction path", { prediction: rec.id, path: choice.path, reason: choice.reason });

    const t0 = performance.now();
    const timeout = setTimeout(() => r.abort.abort(), this.deps.policy.predictTimeoutMs);
    let released = false;
    try {
      const input = r.hasOwnFiles && this.deps.files ? await this.deps.files.containerInput(rec.input, rec.origin ?? "") : rec.input;
      const result =
        choice.path === "sync"
          ? await callSync(this.http, this.deps.clock, rec, input, lease.baseUrl, r)
          : await this.asyncPath.callAsyncOrFallBack(r, input, lease, version, (fresh) => {
              lease = fresh;
              r.baseUrl = fresh.baseUrl;
              r.instanceId = fresh.instanceId;
            });
      const predictMs = performance.now() - t0;
      // The container is free. With a queue, the next prediction goes to it while this one is
      // wrapped up; without one, releasing (and its bookkeeping) waits until this answer is out.
      if (this.deps.scheduler.queued(spec.key ?? spec.versionId) > 0) lease.release();
      else setImmediate(lease.release);
      released = true;
      await this.complete(r, result, info, predictMs);
      if (rec.status === "succeeded") {
        const prev = this.typicalMs.get(version.id);
        this.typicalMs.set(version.id, prev === undefined ? predictMs : prev * 0.7 + predictMs * 0.3);
      }
    } catch (err) {
      if (r.cancelRequested) this.records.finish(rec, { status: "canceled" });
      else if (r.abort.signal.aborted) {
        if (r.path === "async") void cancelPrediction(lease.baseUrl, rec.id);
        this.records.finish(rec, { status: "failed", error: `The prediction ran longer than the ${Math.round(this.deps.policy.predictTimeoutMs / 1000)} s limit and was stopped` });
      } else {
        const exit = await this.exitReasonAfterFailure(lease.instanceId);
        if (exit)
          this.records.finish(rec, {
            status: "failed",
            error: `The model's container stopped while running this prediction (${exit.reason}). The next prediction starts a fresh container.`,
            logs: exit.logs,
          });
        else this.records.finish(rec, { status: "failed", error: `Lost contact with the model container: ${(err as Error).message}` });
      }
    } finally {
      clearTimeout(timeout);
      if (!released) lease.release();
    }
  }

  /** The container's final word, from either path (and for a prediction re-attached after a restart). */
  async complete(r: Running, p: CogPrediction, info: OutputInfo, predictMs: number): Promise<void> {
    const rec = r.rec;
    const status = p.status === "succeeded" || p.status === "failed" || p.status === "canceled" ? p.status : "failed";
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(p.metrics ?? {})) if (typeof v === "number") metrics[k] = v;
    if (metrics.predict_time === undefined && status === "succeeded") metrics.predict_time = round(predictMs / 1000);
    let output: unknown = p.output ?? null;
    if (Array.isArray(output) && info.iterator) {
      // Items already merged live keep their stored form; only the rest are ingested.
      const merged = Array.isArray(rec.output) ? rec.output : [];
      const rest = output.slice(r.outputsMerged);
      output = [...merged, ...((await ingestOutput(this.deps, rest, rec)) as unknown[])];
    } else if (output !== null) output = await ingestOutput(this.deps, output, rec);
    const raw = typeof p.logs === "string" ? p.logs : "";
    this.records.finish(rec, {
      status,
      output,
      logs: finalCapped(rec.logs, raw, r.rawLogsSeen, this.maxLogChars),
      error: status === "failed" ? String(p.error ?? "The model failed without a message") : null,
      metrics,
    });
  }

  /** A failed request may mean the container died; give its exit event a moment to arrive. */
  private async exitReasonAfterFailure(instanceId: string): Promise<{ reason: string; logs: string } | null> {
    for (let i = 0; i < 40; i++) {
      const r = this.deps.scheduler.exitReason(instanceId);
      if (r) return r;
      await this.deps.clock.sleep(25);
    }
    return null;
  }
}

function userMessage(err: unknown): string {
  if (err instanceof DockerUnavailableError || err instanceof GpuUnavailableError || err instanceof RuntimeError) return err.message;
  if (err instanceof QueueFullError) return err.message;
  if (err instanceof AppError) return err.detail;
  return `Internal error: ${(err as Error).message}`;
}
