// One running prediction, as one object: it owns the record while it runs, every transition
// (starting → processing → succeeded | failed | canceled), its timers and its writes. The two ways
// to the container (container-paths.ts) are called by it and report back to it; nothing else
// changes a running prediction's state.
import type { Version } from "../catalog/catalog.ts";
import { type CogContainer, type CogPrediction, isTerminal } from "../cog/cog-container.ts";
import { WebhookMerge } from "../cog/webhook-merge.ts";
import { CanceledError, type InstanceEnd, type Lease, poolKey, type RunSpec, SetupFailedError } from "../scheduler/scheduler.ts";
import { AnswerTimeoutError, asyncPath, awaitAnswer, CallbacksUnreachableError, ContainerGoneError, syncPath, WebhookRefusedError } from "./container-paths.ts";
import { appendCapped, finalCapped } from "./log-cap.ts";
import { withoutNullDefaults } from "./null-inputs.ts";
import { ingestOutput } from "./output-ingest.ts";
import { type OutputInfo, outputInfo } from "./output-schema.ts";
import { type ContainerPath, choosePath, wantsLiveWebhook } from "./path-choice.ts";
import { maxLogChars, type RunContext } from "./run-context.ts";
import { userMessage } from "./run-errors.ts";
import { type PredictionRecord, type PredictionStatus, TERMINAL } from "./store.ts";
import { round, terminalPatch } from "./terminal-patch.ts";

/**
 * Writes wait this long: a prediction whose client holds the request open (Prefer: wait) and that
 * finishes sooner is written once, at the end, instead of three times (created, processing,
 * done). Until then GET and streams read it from memory; only that client knows its id, and if
 * modelhub dies meanwhile so does that client's request.
 */
export const PERSIST_DELAY_MS = 25;
/** How long a failed container call waits to be told that the container died and why (Docker's news takes over 1 s on a loaded engine). */
const EXIT_NEWS_MS = 5000;
/** The least time a re-attached prediction gets for its answer: the container retries its `completed` webhook for minutes. */
const MIN_REATTACH_WAIT_MS = 30_000;

type Timer = ReturnType<typeof setTimeout>;

export class PredictionRun {
  private abort = new AbortController();
  private cancelRequested = false;
  /** in the database yet? A waited-for prediction is written once it outlives PERSIST_DELAY_MS */
  private persisted = false;
  /** the status last written, so `processing` is written once */
  private writtenStatus: PredictionStatus | null = null;
  private flushTimer: Timer | undefined;
  private deadlineTimer: Timer | undefined;
  private subscribers = 0;
  private path: ContainerPath | null = null;
  private lease: Lease | null = null;
  private container: CogContainer | null = null;
  private webhookToken: string | null = null;
  private merge = new WebhookMerge();
  /** container webhooks are merged one after another, in arrival order */
  private merging: Promise<void> = Promise.resolve();
  private answer: PromiseWithResolvers<CogPrediction> | null = null;
  private heard: PromiseWithResolvers<void> | null = null;
  /** whether this prediction could take the async path (container-paths.ts falls back to it) */
  mayGoAsync = false;

  constructor(
    private ctx: RunContext,
    readonly rec: PredictionRecord,
    private clientWaits: boolean,
    private hasOwnFiles: boolean,
  ) {}

  get signal(): AbortSignal { return this.abort.signal; }
  get canceling(): boolean { return this.cancelRequested; }
  get instanceId(): string | null { return this.lease?.instanceId ?? null; }
  /** Resolve with the container's terminal webhook, and its first one (async path only). */
  get webhookAnswer(): Promise<CogPrediction> { return this.answer!.promise; }
  get firstWebhook(): Promise<void> { return this.heard!.promise; }

  // ---- transitions ------------------------------------------------------------------------------

  /** Registers a new prediction (`starting`): written now, or shortly unless it is over by then. */
  admit(cancelAfterMs: number | null, onDeadline: () => void): void {
    const { deps, registry } = this.ctx;
    // A webhook receiver or a polling client may look it up at once: write it now (a full disk: a 507 before anything runs).
    if (!this.clientWaits || this.rec.webhook) this.flush();
    else this.flushTimer = setTimeout(this.flushLater, PERSIST_DELAY_MS);
    registry.add(this);
    deps.events.publish("update", this.rec);
    if (cancelAfterMs !== null) this.armDeadline(cancelAfterMs, onDeadline);
  }

  /** Cancel-After: `onDeadline` (the service's cancel) runs this long from now unless it ended. */
  armDeadline(ms: number, onDeadline: () => void): void {
    // Replicate says `aborted` when the deadline passes before the start; both 1.x clients only
    // know `canceled`, so it is `canceled` either way.
    this.deadlineTimer = setTimeout(onDeadline, Math.max(0, ms));
  }

  /** Gets a container, picks the path, runs the prediction there and ends it. */
  async start(spec: RunSpec, version: Version): Promise<void> {
    const { deps } = this.ctx;
    let lease: Lease;
    try {
      lease = await deps.scheduler.acquire(spec, this.abort.signal, this.rec.id);
    } catch (err) {
      if (err instanceof CanceledError || this.cancelRequested) return this.finish({ status: "canceled" });
      if (err instanceof SetupFailedError) return this.finish({ status: "failed", error: err.message, logs: err.logs });
      return this.finish({ status: "failed", error: userMessage(err) });
    }
    if (this.cancelRequested) {
      lease.release();
      return this.finish({ status: "canceled" });
    }
    this.processing(lease);
    const info = outputInfo(version);
    this.merge = new WebhookMerge(0, 0, info.iterator);
    this.path = this.choosePath(version, info, lease.adopted);
    const t0 = performance.now();
    const timeout = setTimeout(() => this.abort.abort(), deps.policy.predictTimeoutMs);
    let released = false;
    try {
      const given = this.hasOwnFiles && deps.files ? await deps.files.containerInput(this.rec.input, this.rec.origin ?? "") : this.rec.input;
      const input = withoutNullDefaults(given, version);
      const result = await this.callContainer(input, version);
      const predictMs = performance.now() - t0;
      // The container is free. With a queue, the next prediction goes to it while this one is
      // wrapped up; without one, releasing (and its bookkeeping) waits until this answer is out.
      const held = this.lease!;
      if (deps.scheduler.queued(poolKey(spec)) > 0) held.release();
      else setImmediate(held.release);
      released = true;
      await this.complete(result, info, predictMs);
      if (this.rec.status === "succeeded") {
        const prev = this.ctx.typicalMs.get(version.id);
        this.ctx.typicalMs.set(version.id, prev === undefined ? predictMs : prev * 0.7 + predictMs * 0.3);
      }
    } catch (err) {
      await this.failed(err);
    } finally {
      clearTimeout(timeout);
      if (!released) this.lease!.release();
    }
  }

  private processing(lease: Lease): void {
    this.lease = lease;
    this.container = this.ctx.cog.open(lease.baseUrl);
    const startedAt = new Date(this.ctx.deps.clock.now()).toISOString();
    Object.assign(this.rec, { status: "processing", startedAt, instanceId: lease.instanceId });
    // Written only if it is still running shortly: a fast prediction gets one write at the end.
    this.flushTimer ??= setTimeout(this.flushLater, PERSIST_DELAY_MS);
    this.ctx.deps.events.publish("start", this.rec);
  }

  /** The container's final word, from either path (and for a prediction re-attached after a restart). */
  private async complete(p: CogPrediction, info: OutputInfo, predictMs: number): Promise<void> {
    const rec = this.rec;
    const status = isTerminal(p.status) ? p.status : "failed";
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(p.metrics ?? {})) if (typeof v === "number") metrics[k] = v;
    if (metrics.predict_time === undefined && status === "succeeded") metrics.predict_time = round(predictMs / 1000);
    let output: unknown = p.output ?? null;
    if (Array.isArray(output) && info.iterator) {
      // Items already merged live keep their stored form; only the rest are ingested.
      const merged = Array.isArray(rec.output) ? rec.output : [];
      const rest = output.slice(this.merge.outputCount);
      output = [...merged, ...((await ingestOutput(this.ctx.deps, rest, rec)) as unknown[])];
    } else if (output !== null) output = await ingestOutput(this.ctx.deps, output, rec);
    const raw = typeof p.logs === "string" ? p.logs : "";
    this.finish({
      status,
      output,
      logs: finalCapped(rec.logs, raw, this.merge.logChars, maxLogChars(this.ctx.deps.policy)),
      error: status === "failed" ? String(p.error ?? "The model failed without a message") : null,
      metrics,
    });
  }

  /** Why the container call did not produce an answer, as the prediction's end. */
  private async failed(err: unknown): Promise<void> {
    if (this.cancelRequested) return this.finish({ status: "canceled" });
    if (err instanceof WebhookRefusedError) {
      void this.container?.cancel(this.rec.id); // a refused progress webhook leaves the model running
      return this.finish({ status: "failed", error: err.message });
    }
    if (this.abort.signal.aborted) {
      if (this.path === "async") void this.container?.cancel(this.rec.id);
      const limit = Math.round(this.ctx.deps.policy.predictTimeoutMs / 1000);
      return this.finish({ status: "failed", error: `The prediction ran longer than the ${limit} s limit and was stopped` });
    }
    // A broken connection usually means the container died: the scheduler tells the lease why.
    const end = err instanceof ContainerGoneError ? err.end : await this.exitNews();
    if (end)
      return this.finish({
        status: "failed",
        error: `The model's container stopped while running this prediction (${end.reason}). The next prediction starts a fresh container.`,
        logs: end.logs,
      });
    this.finish({ status: "failed", error: `Lost contact with the model container: ${(err as Error).message}` });
  }

  private exitNews(): Promise<InstanceEnd | null> {
    let timer: Timer | undefined;
    const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), EXIT_NEWS_MS)));
    return Promise.race([this.lease!.ended, late]).finally(() => clearTimeout(timer));
  }

  /** The one terminal transition: the record is final, its write queued, the event published. */
  private finish(patch: Partial<PredictionRecord>): void {
    const { deps, registry } = this.ctx;
    const rec = this.rec;
    if (TERMINAL.has(rec.status)) return;
    const full = terminalPatch(deps, rec, patch);
    Object.assign(rec, full);
    clearTimeout(this.flushTimer);
    clearTimeout(this.deadlineTimer);
    // The one write of a fast prediction, or the last of a slow one (with any `processing` fields
    // not written yet). It follows the answer by one turn of the event loop (~0.1 ms saved on the
    // fast path); get() and streams find the record in the registry meanwhile.
    const persisted = this.persisted;
    const update = { ...full, status: rec.status, startedAt: rec.startedAt, instanceId: rec.instanceId };
    registry.ended(rec, () => (persisted ? deps.store.update(rec.id, update) : deps.store.insert(rec)));
    if (this.webhookToken) deps.callbacks?.dropWebhook(this.webhookToken);
    deps.events.publish("completed", rec);
  }

  /** A timer's write: one that fails (a full disk) is left to the final write, which inserts or updates what is missing. */
  private flushLater = () => {
    try { this.flush(); } catch (err) { this.ctx.deps.logger.warn("could not store a running prediction yet", { prediction: this.rec.id, error: (err as Error).message }); }
  };

  /** Writes the current state: the first time as an insert. */
  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const rec = this.rec;
    if (TERMINAL.has(rec.status)) return; // finish() writes it
    if (!this.persisted) {
      this.ctx.deps.store.insert(rec);
      this.persisted = true;
    } else if (this.writtenStatus !== rec.status) {
      this.ctx.deps.store.update(rec.id, { status: rec.status, startedAt: rec.startedAt, instanceId: rec.instanceId });
    }
    this.writtenStatus = rec.status;
  }

  // ---- the container --------------------------------------------------------------------------

  private choosePath(version: Version, info: OutputInfo, adopted: boolean): ContainerPath {
    const { deps, cog, typicalMs } = this.ctx;
    const callbacks = deps.callbacks;
    // An adopted container (from a previous run) has a stale --upload-url: file outputs must come inline.
    this.mayGoAsync = !!callbacks?.base && callbacks.reachable && cog.supportsAsync(version.cogVersion) && !(adopted && info.fileOutput);
    const liveWebhook = wantsLiveWebhook(this.rec.webhook, this.rec.webhookEventsFilter, info.iterator);
    const facts = { asyncCapable: this.mayGoAsync, iterator: info.iterator, clientWaits: this.clientWaits, streamSubscribers: this.subscribers };
    const choice = choosePath({ ...facts, liveWebhook, typicalPredictMs: typicalMs.get(version.id) ?? null });
    deps.logger.debug("prediction path", { prediction: this.rec.id, path: choice.path, reason: choice.reason });
    return choice.path;
  }

  private async callContainer(input: Record<string, unknown>, version: Version): Promise<CogPrediction> {
    if (this.path === "sync") return syncPath.call(this, this.container!, input, this.lease!);
    try {
      return await asyncPath.call(this, this.container!, input, this.lease!);
    } catch (err) {
      if (!(err instanceof CallbacksUnreachableError)) throw err;
      return this.fallBackToSync(input, version);
    }
  }

  /**
   * The container does not reach the callback listener: it is left retrying a webhook it cannot
   * deliver (busy for minutes), so it is stopped, and the prediction runs on a fresh container
   * started without --upload-url, the sync way, like every later one.
   */
  private async fallBackToSync(input: Record<string, unknown>, version: Version): Promise<CogPrediction> {
    const { deps } = this.ctx;
    this.ctx.callbacksUnreachable();
    if (this.webhookToken) deps.callbacks?.dropWebhook(this.webhookToken);
    this.webhookToken = null;
    this.answer = null;
    this.path = "sync";
    const old = this.lease!;
    await this.container!.cancel(this.rec.id);
    old.release();
    await deps.scheduler.stopNow(old.instanceId, "its container could not reach modelhub's callback listener");
    const fresh = await deps.scheduler.acquire(this.ctx.specFor(version, this.rec.deployment), this.abort.signal, this.rec.id);
    this.lease = fresh;
    this.container = this.ctx.cog.open(fresh.baseUrl);
    this.rec.instanceId = fresh.instanceId;
    return syncPath.call(this, this.container, input, fresh);
  }

  /** A webhook URL for this prediction; its webhooks are merged into the record from now on. */
  openWebhook(): string {
    const hook = this.ctx.deps.callbacks!.webhookUrl(this.rec.id);
    this.listen(hook.token);
    return hook.url;
  }

  private listen(token: string): void {
    this.webhookToken = token;
    this.answer = Promise.withResolvers<CogPrediction>();
    this.heard = Promise.withResolvers<void>();
  }

  /** A webhook from the container: progress is merged in arrival order; the terminal one answers. */
  receiveWebhook(body: CogPrediction): void {
    this.heard?.resolve();
    const reportedAt = performance.now();
    this.merging = this.merging
      .then(() => (isTerminal(body.status) ? this.answer?.resolve(body) : this.progress(body, reportedAt)))
      .catch((err) => this.ctx.deps.logger.warn("could not merge a container webhook", { prediction: this.rec.id, error: (err as Error).message }));
  }

  /** A webhook the listener refused: the answer will not come; whoever awaits it (maybe nobody yet) is told why. */
  refuseWebhook(reason: string): void {
    this.answer?.promise.catch(() => {});
    this.answer?.reject(new WebhookRefusedError(reason));
  }

  /** Live progress: new log text and new iterator items are stored and published. */
  private async progress(snap: CogPrediction, reportedAt: number): Promise<void> {
    const { deps } = this.ctx;
    const rec = this.rec;
    if (TERMINAL.has(rec.status)) return;
    const delta = this.merge.next(snap);
    const patch: Partial<PredictionRecord> = {};
    if (delta.logs) patch.logs = rec.logs = appendCapped(rec.logs, delta.logs, maxLogChars(deps.policy));
    if (delta.outputs.length) {
      const items = await ingestOutput(deps, delta.outputs, rec);
      patch.output = rec.output = [...(Array.isArray(rec.output) ? rec.output : []), ...(items as unknown[])];
    }
    if (patch.logs === undefined && patch.output === undefined) return;
    if (this.persisted) deps.store.update(rec.id, patch);
    else this.flush();
    if (patch.output !== undefined) deps.events.publish("output", rec, reportedAt);
    if (patch.logs !== undefined) deps.events.publish("logs", rec, reportedAt);
  }

  // ---- from outside -----------------------------------------------------------------------------

  /** Queued: leaves the queue. Running: the container is told; one that does not acknowledge is cut off. */
  async requestCancel(): Promise<void> {
    this.cancelRequested = true;
    if (this.container && (await this.container.cancel(this.rec.id))) return;
    this.abort.abort();
  }

  /** A stream subscriber counts toward the path choice while the prediction has not started; returns the unsubscribe. */
  watch(): () => void {
    this.subscribers++;
    return () => void this.subscribers--;
  }

  // ---- after a restart --------------------------------------------------------------------------

  /**
   * Takes back an async prediction (stored as `processing`) a previous run left in a container that
   * survived, around the lease its adopted container holds: the container's webhooks (same token,
   * same listener port) complete it as if modelhub had never stopped. A container that dies, or no
   * terminal webhook before the prediction's timeout, fails it with a reason.
   */
  static reattach(ctx: RunContext, rec: PredictionRecord, version: Version, webhookToken: string, lease: Lease): PredictionRun {
    const run = new PredictionRun(ctx, rec, false, false);
    run.persisted = true;
    run.writtenStatus = rec.status;
    run.path = "async";
    run.lease = lease;
    run.container = ctx.cog.open(lease.baseUrl);
    // Cog resends its whole logs and iterator output each time; what was stored is what was merged.
    run.merge = new WebhookMerge(rec.logs.length, Array.isArray(rec.output) ? rec.output.length : 0, outputInfo(version).iterator);
    run.listen(webhookToken);
    ctx.deps.callbacks?.restoreWebhook(rec.id, webhookToken);
    ctx.registry.add(run);
    void run.awaitReattached(version, lease);
    return run;
  }

  private async awaitReattached(version: Version, lease: Lease): Promise<void> {
    const { deps } = this.ctx;
    const startedAt = this.rec.startedAt ? Date.parse(this.rec.startedAt) : deps.clock.now();
    const timeoutMs = deps.policy.predictTimeoutMs;
    const waitMs = Math.max(MIN_REATTACH_WAIT_MS, startedAt + timeoutMs - deps.clock.now());
    try {
      const p = await awaitAnswer(this, lease, { timeoutMs: waitMs });
      setImmediate(lease.release);
      await this.complete(p, outputInfo(version), deps.clock.now() - startedAt);
    } catch (err) {
      if (this.cancelRequested) this.finish({ status: "canceled" });
      else if (err instanceof ContainerGoneError)
        this.finish({
          status: "failed",
          error: `modelhub restarted while this prediction was running, and then its container stopped (${err.end.reason}); run it again`,
          ...(err.end.logs ? { logs: err.end.logs } : {}),
        });
      else {
        void this.container!.cancel(this.rec.id);
        const within = err instanceof AnswerTimeoutError ? `within ${Math.round(waitMs / 1000)} s of that ` : "";
        this.finish({
          status: "failed",
          error: `modelhub restarted while this prediction was running, and its container sent no answer ${within}(the limit is ${Math.round(timeoutMs / 1000)} s); run it again`,
        });
      }
    } finally {
      lease.release();
    }
  }
}
