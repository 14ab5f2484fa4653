// Predictions: create (validate, store, run), get, wait, cancel, Cancel-After deadlines, and the
// container side of a run: the sync POST (fast path) or the async PUT + webhooks (live path, see
// path-choice.ts), live logs and iterator outputs, file inputs and outputs. Owns every status
// change: starting → processing → succeeded | failed | canceled, and publishes each as an event.
import type { Catalog, Version } from "../catalog/catalog.ts";
import type { Policies } from "../catalog/policy.ts";
import { validateInput } from "../contract/openapi-input.ts";
import { AppError, invalidInput, notFound, queueFull, unavailable } from "../errors.ts";
import type { Logger } from "../log.ts";
import { cancelPrediction, type CogPrediction } from "../runtime/cog-client.ts";
import { DockerUnavailableError, GpuUnavailableError, RuntimeError } from "../runtime/runtime.ts";
import type { Clock } from "../scheduler/clock.ts";
import { CanceledError, type Lease, QueueFullError, type RunSpec, type Scheduler, SetupFailedError } from "../scheduler/scheduler.ts";
import type { CallbackRegistry } from "./callbacks.ts";
import { startAsync } from "./cog-async.ts";
import { predictSync } from "./cog-sync.ts";
import type { PredictionEvents } from "./events.ts";
import { Http1Client } from "./http1.ts";
import { newPredictionId, newToken } from "./ids.ts";
import { appendCapped, finalCapped } from "./log-cap.ts";
import { type OutputInfo, outputInfo, supportsAsync } from "./output-schema.ts";
import { choosePath, type ContainerPath } from "./path-choice.ts";
import type { PredictionFiles } from "./ports.ts";
import { StreamCursor, type StreamEvent } from "./stream.ts";
import { type PredictionRecord, type PredictionStore, TERMINAL } from "./store.ts";

export interface CreatePrediction {
  version: Version;
  input: unknown;
  source?: "api" | "web";
  webhook?: string | null;
  webhookEventsFilter?: string[] | null;
  deployment?: string | null;
  /** origin the client used (or the configured public URL): output file URLs are made on it */
  origin?: string;
  /** the client holds the request open (Prefer: wait): favours the sync fast path */
  clientWaits?: boolean;
  /** Cancel-After: cancel the prediction this long after creation, wherever it is by then */
  cancelAfterMs?: number | null;
}

export interface PredictionPolicy {
  idleTimeoutMs: number;
  setupTimeoutMs: number;
  maxQueue: number;
  predictTimeoutMs: number;
  /** characters of logs kept per prediction */
  maxLogChars?: number;
}

/** Everything about a prediction that lives only while this process runs it. */
/** How long a canceled prediction's model gets to stop before its container is restarted. */
export const CANCEL_GRACE_MS = 10_000;

interface Running {
  rec: PredictionRecord;
  abort: AbortController;
  baseUrl?: string;
  instanceId?: string;
  cancelRequested: boolean;
  clientWaits: boolean;
  hasOwnFiles: boolean;
  deadlineTimer?: ReturnType<typeof setTimeout>;
  /** in the database yet? A waited-for prediction is written once it outlives PERSIST_DELAY_MS */
  persisted: boolean;
  /** the status last written, so `processing` is written once */
  writtenStatus: PredictionRecord["status"] | null;
  flushTimer?: ReturnType<typeof setTimeout>;
  streamSubscribers: number;
  path?: ContainerPath;
  webhookToken?: string;
  /** how much of the container's own logs string has been merged (it resends all of it each time) */
  rawLogsSeen: number;
  /** iterator items already merged into rec.output */
  outputsMerged: number;
  /** container webhooks are merged one after another, in arrival order */
  merging: Promise<void>;
  webhooksSeen: number;
  terminal?: { resolve(p: CogPrediction): void; promise: Promise<CogPrediction> };
}

export interface StreamHandle {
  /** events for everything that happened before the subscription (replay from the start) */
  replay: StreamEvent[];
  /** true when the replay already ends with `done` */
  done: boolean;
  /** calls `fn` with new events until `done`; returns the unsubscribe function */
  subscribe(fn: (events: StreamEvent[], reportedAt?: number) => void): () => void;
  fileOutput: boolean;
}

const DEFAULT_MAX_LOG_CHARS = 1_000_000;
const LIVENESS_POLL_MS = 500;
/**
 * Cog sends its `start` webhook as soon as it accepts an async prediction. Silence this long means
 * the container cannot reach the callback listener (a firewall on docker0, a wrong
 * --callback-host): the prediction is moved to the sync path and so is every later one.
 */
const FIRST_WEBHOOK_TIMEOUT_MS = 5000;

class CallbacksUnreachableError extends Error {}
/**
 * Versions and run specs are looked up on every create; reading them from SQLite (and parsing the
 * schema JSON) was ~0.1 ms of the fast path. A change (re-import, setup failure, a policy edit)
 * takes effect within this long; the scheduler itself remembers setup failures at once.
 */
const LOOKUP_TTL_MS = 1000;
/**
 * Writes wait this long: a prediction whose client holds the request open (Prefer: wait) and that
 * finishes sooner is written once, at the end, instead of three times (created, processing,
 * done). Until then GET and streams read it from memory; only that client knows its id, and if
 * modelhub dies meanwhile so does that client's request.
 */
const PERSIST_DELAY_MS = 25;

export class PredictionService {
  private running = new Map<string, Running>();
  private versionCache = new Map<string, { v: Version; at: number }>();
  /** stream token → prediction id, for running predictions not written yet */
  private liveStreams = new Map<string, string>();
  /** finished predictions whose final write is queued (id → write), and their records */
  private finishing = new Map<string, () => void>();
  private finished = new Map<string, PredictionRecord>();
  private specCache = new Map<string, { spec: RunSpec; at: number }>();
  /** kept-alive sockets to containers for the sync path */
  private http = new Http1Client();
  /** moving average of predict time per version, in ms (for the path choice) */
  private typicalMs = new Map<string, number>();

  constructor(
    private deps: {
      catalog: Catalog;
      scheduler: Scheduler;
      store: PredictionStore;
      events: PredictionEvents;
      clock: Clock;
      logger: Logger;
      policy: PredictionPolicy;
      /** per-model and per-deployment run policy; without it, `policy` applies to every version */
      policies?: Policies;
      files?: PredictionFiles;
      callbacks?: CallbackRegistry;
      /** origin for output file URLs when the caller gave none (the public URL, else the listen address) */
      defaultOrigin?: () => string;
    },
  ) {}

  private get maxLogChars(): number {
    return this.deps.policy.maxLogChars ?? DEFAULT_MAX_LOG_CHARS;
  }

  /** A version by id, `owner/name` (latest) or `owner/name:id`, from a short-lived cache. */
  resolveVersion(ref: string): Version {
    const now = Date.now();
    const hit = this.versionCache.get(ref);
    if (hit && now - hit.at < LOOKUP_TTL_MS) return hit.v;
    const v = this.deps.catalog.resolveVersionRef(ref);
    if (this.versionCache.size > 1000) this.versionCache.clear();
    this.versionCache.set(ref, { v, at: now });
    return v;
  }

  private cachedSpec(v: Version, deployment?: string | null): RunSpec {
    const key = `${v.id}|${deployment ?? ""}`;
    const now = Date.now();
    const hit = this.specCache.get(key);
    if (hit && now - hit.at < LOOKUP_TTL_MS) return hit.spec;
    const spec = this.runSpec(v, deployment);
    if (this.specCache.size > 1000) this.specCache.clear();
    this.specCache.set(key, { spec, at: now });
    return spec;
  }

  /** What the scheduler runs for a prediction on `v` (through deployment `owner/name` when given). */
  runSpec(v: Version, deployment?: string | null): RunSpec {
    const p = this.deps.policy;
    const spec: RunSpec = this.deps.policies
      ? this.deps.policies.runSpec(v, deployment)
      : {
          versionId: v.id,
          model: v.model,
          image: `sha256:${v.id}`,
          gpuCount: v.config.build?.gpu ? 1 : 0,
          concurrency: Math.max(1, Number(v.config.concurrency?.max ?? 1) || 1),
          maxQueue: p.maxQueue,
          idleTimeoutMs: p.idleTimeoutMs,
          setupTimeoutMs: p.setupTimeoutMs,
        };
    return this.withContainerCmd(spec, v);
  }

  /**
   * Adds the container command that points --upload-url at the callback listener. Real Cog images
   * run `python -m cog.server.http` under tini: replacing CMD keeps the entrypoint. The URL is
   * fixed per version, so every container of a version is alike. Also for specs made elsewhere
   * (keep-warm pools).
   */
  withContainerCmd(spec: RunSpec, v?: Version): RunSpec {
    const version = v ?? this.deps.catalog.findVersion(spec.versionId);
    const callbacks = this.deps.callbacks;
    const upload = version && callbacks?.reachable && supportsAsync(version.cogVersion) ? callbacks.uploadUrl(version.id) : null;
    return upload ? { ...spec, cmd: ["python", "-m", "cog.server.http", "--upload-url", upload] } : spec;
  }

  /**
   * Checks what a cold start needs before a prediction is accepted, so a stopped Docker engine is a
   * 503 that says so rather than a stored prediction that fails later. Skipped when a container
   * is already up (the fast path pays nothing).
   */
  preflight(v: Version, deployment?: string | null): Promise<void> | undefined {
    if (v.setupError) return undefined; // create() fails it at once with the remembered reason
    // A model that needs a GPU this machine does not have is told so before anything is stored.
    const unfit = this.deps.scheduler.unfit(this.cachedSpec(v, deployment));
    if (unfit) throw unavailable(`${unfit}. Use a machine with an NVIDIA GPU, or run it on the CPU: modelhub policy ${v.model} gpus=0`, "gpu_unavailable");
    // No promise when a container is up: an await would cost the fast path a turn of the event loop.
    if (this.deps.scheduler.hasLive(v.id)) return undefined;
    return this.deps.scheduler.ping().catch((err) => {
      if (err instanceof DockerUnavailableError) throw unavailable(err.message, "docker_unavailable");
      throw err;
    });
  }

  /** Validates before anything is stored or started: a bad input is a 422 and costs nothing. */
  create(req: CreatePrediction): PredictionRecord {
    const { version } = req;
    if (req.input === undefined || req.input === null || typeof req.input !== "object" || Array.isArray(req.input))
      throw invalidInput("input must be a JSON object", [{ field: "input", rule: "type", message: "must be an object" }]);
    const checked = validateInput(version.openapiSchema, req.input as Record<string, unknown>);
    if (!checked.ok) {
      const list = checked.errors.map((e) => `${e.field}: ${e.message}`).join("; ");
      throw invalidInput(`Invalid input for ${version.model}: ${list}`, checked.errors);
    }
    const origin = req.origin || this.deps.defaultOrigin?.() || "";
    // modelhub's own file URLs must name files that exist: checked now, while it is still a 422.
    const hasOwnFiles = this.deps.files?.checkInputFiles(checked.value, origin) ?? false;
    const spec = this.cachedSpec(version, req.deployment);
    const full = this.deps.scheduler.queueFull(spec);
    if (full) throw queueFull(full.message, full.retryAfterSeconds);

    const nowMs = this.deps.clock.now();
    const now = new Date(nowMs).toISOString();
    const rec: PredictionRecord = {
      id: newPredictionId(),
      model: version.model,
      versionId: version.id,
      input: checked.value,
      output: null,
      logs: "",
      error: null,
      status: "starting",
      source: req.source ?? "api",
      createdAt: now,
      startedAt: null,
      completedAt: null,
      metrics: {},
      webhook: req.webhook ?? null,
      webhookEventsFilter: req.webhookEventsFilter ?? null,
      deployment: req.deployment ?? null,
      deadline: req.cancelAfterMs ? new Date(nowMs + req.cancelAfterMs).toISOString() : null,
      instanceId: null,
      streamToken: newToken(),
      origin: origin || null,
      fileOutput: outputInfo(version).fileOutput,
    };
    if (version.setupError) {
      // Fail fast with the remembered reason instead of booting a container that will fail the same way.
      this.deps.store.insert(rec);
      this.deps.events.publish("update", rec);
      this.finish(rec, { status: "failed", error: version.setupError, logs: version.setupLogs ?? "" });
      return rec;
    }
    const clientWaits = req.clientWaits ?? false;
    const r: Running = {
      rec,
      abort: new AbortController(),
      cancelRequested: false,
      clientWaits,
      hasOwnFiles,
      persisted: false,
      writtenStatus: null,
      streamSubscribers: 0,
      rawLogsSeen: 0,
      outputsMerged: 0,
      merging: Promise.resolve(),
      webhooksSeen: 0,
    };
    this.running.set(rec.id, r);
    this.liveStreams.set(rec.streamToken, rec.id);
    // A webhook receiver or a polling client may look it up at once: write it now.
    if (!clientWaits || rec.webhook) this.flush(r);
    else r.flushTimer = setTimeout(() => this.flush(r), PERSIST_DELAY_MS);
    this.deps.events.publish("update", rec);
    if (req.cancelAfterMs) {
      // Replicate says `aborted` when the deadline passes before the start; both 1.x clients only
      // know `canceled`, so it is `canceled` either way.
      r.deadlineTimer = setTimeout(() => void this.cancel(rec.id).catch(() => {}), req.cancelAfterMs);
    }
    void this.run(r, spec, version);
    return rec;
  }

  /** While it runs, the in-memory record is the truth (its `processing` write may still be pending). */
  get(id: string): PredictionRecord {
    const live = this.running.get(id)?.rec ?? this.finished.get(id);
    if (live) return live;
    const p = this.deps.store.get(id);
    if (!p) throw notFound(`Prediction ${id} not found`);
    return p;
  }

  /** Resolves with the prediction once it is terminal, or as it is after `ms`. */
  waitFor(id: string, ms: number): Promise<PredictionRecord> {
    const live = this.running.get(id)?.rec;
    if (live && TERMINAL.has(live.status)) return Promise.resolve(live);
    const cur = live ?? this.get(id);
    if (TERMINAL.has(cur.status)) return Promise.resolve(cur);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        unsub();
        resolve(this.get(id));
      }, ms);
      const unsub = this.deps.events.subscribe(id, (e) => {
        if (TERMINAL.has(e.prediction.status)) {
          clearTimeout(timer);
          unsub();
          resolve(e.prediction);
        }
      });
    });
  }

  /** Queued: taken out of the line. Running: the container is told to cancel. Done: unchanged. */
  async cancel(id: string): Promise<PredictionRecord> {
    const p = this.get(id);
    if (TERMINAL.has(p.status)) return p;
    const r = this.running.get(id);
    if (!r) {
      // Not running in this process (e.g. left over from a crash): settle it here.
      this.finish(p, { status: "canceled" });
      return this.get(id);
    }
    r.cancelRequested = true;
    if (r.baseUrl) {
      if (!(await cancelPrediction(r.baseUrl, id))) r.abort.abort();
    } else r.abort.abort();
    const settled = await this.waitFor(id, CANCEL_GRACE_MS);
    if (TERMINAL.has(settled.status) || !r.instanceId) return settled;
    // The model ignored the cancel (a model may swallow Cog's CancelationException): restart its
    // container so the slot is not held forever; the prediction then ends as canceled.
    this.deps.logger.warn("model did not stop after cancel; restarting its container", { prediction: id, instance: r.instanceId });
    await this.deps.scheduler.restart(r.instanceId, `the model did not stop within ${CANCEL_GRACE_MS / 1000} s of being canceled, so its container was restarted`);
    return this.waitFor(id, 5_000);
  }

  /**
   * A stream on a prediction by its capability token: a replay of everything so far, then live
   * events. A subscriber counts toward the path choice of a prediction that has not started yet.
   */
  openStream(token: string): StreamHandle | null {
    const liveId = this.liveStreams.get(token);
    const r = liveId ? this.running.get(liveId) : undefined;
    const rec = r?.rec ?? (liveId ? this.finished.get(liveId) : undefined) ?? this.deps.store.byStreamToken(token);
    if (!rec) return null;
    const cursor = new StreamCursor();
    const replay = cursor.next(rec);
    return {
      replay,
      done: cursor.done,
      fileOutput: rec.fileOutput,
      subscribe: (fn) => {
        if (cursor.done) return () => {};
        if (r) r.streamSubscribers++;
        let unsubscribed = false;
        const unsub = this.deps.events.subscribe(rec.id, (e) => {
          const evs = cursor.next(e.prediction);
          if (evs.length) fn(evs, e.reportedAt);
          if (cursor.done) stop();
        });
        const stop = () => {
          if (unsubscribed) return;
          unsubscribed = true;
          unsub();
          if (r) r.streamSubscribers--;
        };
        // It may have finished between the replay and now (not in this single-threaded flow, but cheap to check).
        const late = cursor.next(r?.rec ?? this.get(rec.id));
        if (late.length) fn(late);
        if (cursor.done) stop();
        return stop;
      },
    };
  }

  /** A webhook from a container (through the callback listener). Unknown tokens are a 404. */
  containerWebhook(token: string, body: CogPrediction): void {
    const id = this.deps.callbacks?.predictionForWebhookToken(token);
    const r = id ? this.running.get(id) : undefined;
    if (!r) throw notFound("No running prediction for this webhook");
    r.webhooksSeen++;
    const reportedAt = performance.now();
    const terminal = body.status === "succeeded" || body.status === "failed" || body.status === "canceled";
    // The terminal state is merged by run() once every earlier webhook has been merged.
    r.merging = r.merging
      .then(() => (terminal ? r.terminal?.resolve(body) : this.mergeLive(r, body, reportedAt)))
      .catch((err) => this.deps.logger.warn("could not merge a container webhook", { prediction: r.rec.id, error: (err as Error).message }));
  }

  /** A file PUT to a container's --upload-url. The token names the version; 404 when unknown. */
  async containerUpload(u: { token: string; name: string; contentType: string | null; body: ReadableStream<Uint8Array> | Uint8Array; predictionId: string | null }): Promise<string> {
    const versionId = this.deps.callbacks?.versionForUploadToken(u.token);
    if (!versionId || !this.deps.files) throw notFound("Unknown upload URL");
    const r = u.predictionId ? this.running.get(u.predictionId) : undefined;
    return this.deps.files.storeUpload({
      uploadKey: u.token,
      name: u.name,
      contentType: u.contentType,
      body: u.body,
      predictionId: r && r.rec.versionId === versionId ? r.rec.id : null,
    });
  }

  private async run(r: Running, spec: RunSpec, version: Version): Promise<void> {
    const rec = r.rec;
    let lease: Lease;
    try {
      lease = await this.deps.scheduler.acquire(spec, r.abort.signal, rec.id);
    } catch (err) {
      if (err instanceof CanceledError || r.cancelRequested) return this.finish(rec, { status: "canceled" });
      if (err instanceof SetupFailedError) return this.finish(rec, { status: "failed", error: err.message, logs: err.logs });
      return this.finish(rec, { status: "failed", error: userMessage(err) });
    }
    if (r.cancelRequested) {
      lease.release();
      return this.finish(rec, { status: "canceled" });
    }
    r.baseUrl = lease.baseUrl;
    r.instanceId = lease.instanceId;
    const startedAt = new Date(this.deps.clock.now()).toISOString();
    Object.assign(rec, { status: "processing", startedAt, instanceId: lease.instanceId });
    // Written only if it is still running shortly: a fast prediction gets one write at the end.
    r.flushTimer ??= setTimeout(() => this.flush(r), PERSIST_DELAY_MS);
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
          ? await this.callSync(rec, input, lease.baseUrl, r)
          : await this.callAsyncOrFallBack(r, input, lease, version, (fresh) => {
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
      if (r.cancelRequested) this.finish(rec, { status: "canceled" });
      else if (r.abort.signal.aborted) {
        if (r.path === "async") void cancelPrediction(lease.baseUrl, rec.id);
        this.finish(rec, { status: "failed", error: `The prediction ran longer than the ${Math.round(this.deps.policy.predictTimeoutMs / 1000)} s limit and was stopped` });
      } else {
        const exit = await this.exitReasonAfterFailure(lease.instanceId);
        if (exit)
          this.finish(rec, {
            status: "failed",
            error: `The model's container stopped while running this prediction (${exit.reason}). The next prediction starts a fresh container.`,
            logs: exit.logs,
          });
        else this.finish(rec, { status: "failed", error: `Lost contact with the model container: ${(err as Error).message}` });
      }
    } finally {
      clearTimeout(timeout);
      if (!released) lease.release();
    }
  }

  /** POSTs to the container; a 409 means "busy right now" (it can lag our own accounting), never a user error. */
  private async callSync(rec: PredictionRecord, input: Record<string, unknown>, baseUrl: string, r: Running): Promise<CogPrediction> {
    for (let attempt = 0; ; attempt++) {
      const res = await predictSync(this.http, baseUrl, { id: rec.id, input }, r.abort.signal);
      if (res.kind === "done") return res.prediction;
      if (res.kind === "busy") {
        await this.deps.clock.sleep(busyDelayMs(attempt));
        continue;
      }
      return this.rejected(res);
    }
  }

  /**
   * PUT with Prefer: respond-async and a webhook pointing at the callback listener; the result is
   * the terminal webhook. Watches the instance meanwhile: a container that dies sends no webhook.
   */
  private async callAsync(r: Running, input: Record<string, unknown>, lease: Lease): Promise<CogPrediction> {
    const callbacks = this.deps.callbacks!;
    const hook = callbacks.webhookUrl(r.rec.id);
    r.webhookToken = hook.token;
    let resolveTerminal!: (p: CogPrediction) => void;
    const promise = new Promise<CogPrediction>((res) => (resolveTerminal = res));
    r.terminal = { resolve: resolveTerminal, promise };
    for (let attempt = 0; ; attempt++) {
      const res = await startAsync(
        lease.baseUrl,
        r.rec.id,
        { input, webhook: hook.url, webhook_events_filter: ["start", "output", "logs", "completed"] },
        r.abort.signal,
      );
      if (res.kind === "accepted") break;
      if (res.kind === "busy") {
        // Also right after a `completed` webhook: the container may not be free yet (cog-protocol §9).
        await this.deps.clock.sleep(busyDelayMs(attempt));
        continue;
      }
      return this.rejected(res);
    }
    return new Promise<CogPrediction>((resolve, reject) => {
      const onAbort = () => {
        // A cancel the container acknowledged ends with its `canceled` webhook; an abort is final.
        if (!r.cancelRequested) reject(new Error("aborted"));
        else
          setTimeout(() => {
            done();
            reject(new Error("canceled"));
          }, 10_000);
      };
      const watch = setInterval(() => {
        const inst = this.deps.scheduler.get(lease.instanceId);
        if (!inst || inst.state === "dead") {
          done();
          reject(new Error("the container is gone"));
        }
      }, LIVENESS_POLL_MS);
      const silence = setTimeout(() => {
        if (r.webhooksSeen > 0) return;
        done();
        reject(new CallbacksUnreachableError("no webhook from the container"));
      }, FIRST_WEBHOOK_TIMEOUT_MS);
      const done = () => {
        clearInterval(watch);
        clearTimeout(silence);
        r.abort.signal.removeEventListener("abort", onAbort);
      };
      r.abort.signal.addEventListener("abort", onAbort);
      promise.then((p) => {
        done();
        resolve(p);
      });
    });
  }

  /**
   * The async path, or the sync one when the container turns out not to reach the callback
   * listener. That container is left retrying a webhook it cannot deliver (busy for minutes), so
   * it is replaced by one started without --upload-url, and the prediction runs there.
   */
  private async callAsyncOrFallBack(r: Running, input: Record<string, unknown>, lease: Lease, version: Version, swap: (fresh: Lease) => void): Promise<CogPrediction> {
    try {
      return await this.callAsync(r, input, lease);
    } catch (err) {
      if (!(err instanceof CallbacksUnreachableError)) throw err;
      const callbacks = this.deps.callbacks!;
      if (callbacks.reachable) {
        callbacks.reachable = false;
        this.specCache.clear();
        this.deps.logger.warn(
          "containers do not reach modelhub's callback listener: predictions now take the sync path (no live logs or streaming until the end). Allow traffic from the Docker bridge to the host, or set --callback-host",
          { callbacks: callbacks.base },
        );
      }
      if (r.webhookToken) callbacks.dropWebhook(r.webhookToken);
      r.terminal = undefined;
      r.path = "sync";
      await cancelPrediction(lease.baseUrl, r.rec.id);
      lease.release();
      await this.deps.scheduler.restart(lease.instanceId, "its container could not reach modelhub's callback listener");
      const fresh = await this.deps.scheduler.acquire(this.cachedSpec(version, r.rec.deployment), r.abort.signal, r.rec.id);
      swap(fresh);
      return this.callSync(r.rec, input, fresh.baseUrl, r);
    }
  }

  private rejected(res: { kind: "invalid"; detail: unknown } | { kind: "error"; status: number; body: string }): CogPrediction {
    if (res.kind === "invalid") return { status: "failed", error: `The model rejected the input: ${JSON.stringify(res.detail)}`, logs: "" };
    return { status: "failed", error: `The model container answered HTTP ${res.status}: ${res.body}`, logs: "" };
  }

  /** Live progress from a container webhook: new log text and new iterator items. */
  private async mergeLive(r: Running, snap: CogPrediction, reportedAt: number): Promise<void> {
    const rec = r.rec;
    if (TERMINAL.has(rec.status)) return;
    const patch: Partial<PredictionRecord> = {};
    let newOutput = false;
    const raw = typeof snap.logs === "string" ? snap.logs : "";
    if (raw.length > r.rawLogsSeen) {
      rec.logs = appendCapped(rec.logs, raw.slice(r.rawLogsSeen), this.maxLogChars);
      r.rawLogsSeen = raw.length;
      patch.logs = rec.logs;
    }
    if (Array.isArray(snap.output) && snap.output.length > r.outputsMerged) {
      const fresh = snap.output.slice(r.outputsMerged);
      r.outputsMerged = snap.output.length;
      const items = await this.ingest(fresh, rec);
      rec.output = [...(Array.isArray(rec.output) ? rec.output : []), ...(items as unknown[])];
      patch.output = rec.output;
      newOutput = true;
    }
    if (!Object.keys(patch).length) return;
    if (r.persisted) this.deps.store.update(rec.id, patch);
    else this.flush(r);
    if (newOutput) this.deps.events.publish("output", rec, reportedAt);
    if (patch.logs !== undefined) this.deps.events.publish("logs", rec, reportedAt);
  }

  /**
   * Files in an output become stored files at capability URLs. Iterator items come as a list of
   * new items, which the Output (array) schema describes as well as the whole list.
   */
  private async ingest(value: unknown, rec: PredictionRecord): Promise<unknown> {
    const files = this.deps.files;
    if (!files || !files.needsIngest(value)) return value;
    const version = this.deps.catalog.findVersion(rec.versionId);
    const info = version ? outputInfo(version) : null;
    return files.ingestOutput(value, {
      predictionId: rec.id,
      origin: rec.origin ?? "",
      outputSchema: info?.schema,
      components: info?.components ?? {},
    });
  }

  /** The container's final word, from either path. */
  private async complete(r: Running, p: CogPrediction, info: OutputInfo, predictMs: number): Promise<void> {
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
      output = [...merged, ...((await this.ingest(rest, rec)) as unknown[])];
    } else if (output !== null) output = await this.ingest(output, rec);
    const raw = typeof p.logs === "string" ? p.logs : "";
    this.finish(rec, {
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

  private finish(rec: PredictionRecord, patch: Partial<PredictionRecord>): void {
    if (TERMINAL.has(rec.status)) return;
    const completedAt = new Date(this.deps.clock.now()).toISOString();
    const metrics = { ...(patch.metrics ?? rec.metrics) };
    metrics.total_time = round((Date.parse(completedAt) - Date.parse(rec.createdAt)) / 1000);
    let logs = patch.logs ?? rec.logs;
    // Paths that bypass the live cap (setup logs, exit logs) are bounded here too.
    if (logs.length > this.maxLogChars) logs = finalCapped("", logs, 0, this.maxLogChars);
    const full: Partial<PredictionRecord> = { ...patch, logs, metrics, completedAt };
    const r = this.running.get(rec.id);
    Object.assign(rec, full);
    if (r && r.rec === rec) {
      clearTimeout(r.flushTimer);
      // The one write of a fast prediction, or the last of a slow one (with any `processing` fields
      // not written yet). It follows the answer by one turn of the event loop (~0.1 ms saved on the
      // fast path); get() and streams find the record in `finishing` meanwhile.
      const persisted = r.persisted;
      const update = { ...full, status: rec.status, startedAt: rec.startedAt, instanceId: rec.instanceId };
      this.finishing.set(rec.id, () => {
        if (!persisted) this.deps.store.insert(rec);
        else this.deps.store.update(rec.id, update);
        this.liveStreams.delete(rec.streamToken);
      });
      this.finished.set(rec.id, rec);
      if (this.finishing.size === 1) setImmediate(() => this.writeFinished());
      this.running.delete(rec.id);
      if (r.deadlineTimer) clearTimeout(r.deadlineTimer);
      if (r.webhookToken) this.deps.callbacks?.dropWebhook(r.webhookToken);
    } else this.deps.store.update(rec.id, full);
    this.deps.events.publish("completed", rec);
  }

  /** The deferred final writes (see finish). Also called on shutdown. */
  writeFinished(): void {
    for (const [id, write] of this.finishing) {
      this.finishing.delete(id);
      this.finished.delete(id);
      try {
        write();
      } catch (err) {
        this.deps.logger.error("could not store a finished prediction", { prediction: id, error: (err as Error).message });
      }
    }
  }

  /** Stops background work: pending writes are made, container sockets closed. */
  close(): void {
    this.writeFinished();
    this.http.close();
  }

  /** Writes a running prediction's current state: the first time as an insert. */
  private flush(r: Running): void {
    clearTimeout(r.flushTimer);
    r.flushTimer = undefined;
    const rec = r.rec;
    if (TERMINAL.has(rec.status)) return; // finish() writes it
    if (!r.persisted) {
      this.deps.store.insert(rec);
      r.persisted = true;
    } else if (r.writtenStatus !== rec.status) {
      this.deps.store.update(rec.id, { status: rec.status, startedAt: rec.startedAt, instanceId: rec.instanceId });
    }
    r.writtenStatus = rec.status;
  }
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

/** A 409 usually clears within a millisecond (the container answers just before it frees its slot). */
const busyDelayMs = (attempt: number) => Math.min(2 ** attempt, 100);

function userMessage(err: unknown): string {
  if (err instanceof DockerUnavailableError || err instanceof GpuUnavailableError || err instanceof RuntimeError) return err.message;
  if (err instanceof QueueFullError) return err.message;
  if (err instanceof AppError) return err.detail;
  return `Internal error: ${(err as Error).message}`;
}
