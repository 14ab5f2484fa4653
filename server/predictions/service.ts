// The prediction service: create (validate, store, start the run), get, wait, cancel, Cancel-After deadlines.
// With the files it is made of it owns every status change (starting → processing → succeeded |
// failed | canceled) and publishes each as an event: the run in run-prediction.ts, the container
// paths in sync-path.ts and async-path.ts (see path-choice.ts), the in-memory records and their
// writes in live-records.ts, streams in open-stream.ts, run specs and lookups in run-specs.ts.
import type { Version } from "../catalog/catalog.ts";
import { validateInput } from "../contract/input-validation.ts";
import { invalidInput, notFound, queueFull, unavailable } from "../errors.ts";
import { cancelPrediction, type CogPrediction } from "../runtime/cog-client.ts";
import { DockerUnavailableError } from "../runtime/runtime.ts";
import type { Lease, RunSpec } from "../scheduler/scheduler.ts";
import { AsyncPath } from "./async-path.ts";
import { Http1Client } from "./http1.ts";
import { newPredictionId, newToken } from "./ids.ts";
import { LiveRecords, PERSIST_DELAY_MS, type Running } from "./live-records.ts";
import { openStream, type StreamHandle } from "./open-stream.ts";
import { outputInfo } from "./output-schema.ts";
import { reattach } from "./reattach.ts";
import { PredictionRunner } from "./run-prediction.ts";
import { RunSpecs } from "./run-specs.ts";
import type { ServiceDeps } from "./service-deps.ts";
import { type PredictionRecord, TERMINAL } from "./store.ts";

export type { PredictionPolicy } from "./service-deps.ts";
export type { StreamHandle } from "./open-stream.ts";

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

/** How long a canceled prediction's model gets to stop before its container is restarted. */
export const CANCEL_GRACE_MS = 10_000;

export class PredictionService {
  private records: LiveRecords;
  private specs: RunSpecs;
  /** kept-alive sockets to containers for the sync path */
  private http: Http1Client;
  private asyncPath: AsyncPath;
  private runner: PredictionRunner;

  constructor(private deps: ServiceDeps) {
    this.records = new LiveRecords(deps);
    this.specs = new RunSpecs(deps);
    this.http = new Http1Client();
    this.asyncPath = new AsyncPath(deps, this.records, this.specs, this.http);
    this.runner = new PredictionRunner(deps, this.records, this.asyncPath, this.http);
  }

  /** A version by id, `owner/name` (latest) or `owner/name:id`, from a short-lived cache. */
  resolveVersion(ref: string): Version {
    return this.specs.resolveVersion(ref);
  }

  /** What the scheduler runs for a prediction on `v` (through deployment `owner/name` when given). */
  runSpec(v: Version, deployment?: string | null): RunSpec {
    return this.specs.runSpec(v, deployment);
  }

  /** Adds the container command that points --upload-url at the callback listener (see run-specs.ts). */
  withContainerCmd(spec: RunSpec, v?: Version): RunSpec {
    return this.specs.withContainerCmd(spec, v);
  }

  /**
   * Checks what a cold start needs before a prediction is accepted, so a stopped Docker engine is a
   * 503 that says so rather than a stored prediction that fails later. Skipped when a container
   * is already up (the fast path pays nothing).
   */
  preflight(v: Version, deployment?: string | null): Promise<void> | undefined {
    if (v.setupError) return undefined; // create() fails it at once with the remembered reason
    // A model that needs a GPU this machine does not have is told so before anything is stored.
    const unfit = this.deps.scheduler.unfit(this.specs.cachedSpec(v, deployment));
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
    const spec = this.specs.cachedSpec(version, req.deployment);
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
      this.records.finish(rec, { status: "failed", error: version.setupError, logs: version.setupLogs ?? "" });
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
    this.records.running.set(rec.id, r);
    this.records.liveStreams.set(rec.streamToken, rec.id);
    // A webhook receiver or a polling client may look it up at once: write it now.
    if (!clientWaits || rec.webhook) this.records.flush(r);
    else r.flushTimer = setTimeout(() => this.records.flush(r), PERSIST_DELAY_MS);
    this.deps.events.publish("update", rec);
    if (req.cancelAfterMs) {
      // Replicate says `aborted` when the deadline passes before the start; both 1.x clients only
      // know `canceled`, so it is `canceled` either way.
      r.deadlineTimer = setTimeout(() => void this.cancel(rec.id).catch(() => {}), req.cancelAfterMs);
    }
    void this.runner.run(r, spec, version);
    return rec;
  }

  /** While it runs, the in-memory record is the truth (its `processing` write may still be pending). */
  get(id: string): PredictionRecord {
    const live = this.records.running.get(id)?.rec ?? this.records.finished.get(id);
    if (live) return live;
    const p = this.deps.store.get(id);
    if (!p) throw notFound(`Prediction ${id} not found`);
    return p;
  }

  /** Resolves with the prediction once it is terminal, or as it is after `ms`. */
  waitFor(id: string, ms: number): Promise<PredictionRecord> {
    const live = this.records.running.get(id)?.rec;
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
    const r = this.records.running.get(id);
    if (!r) {
      // Not running in this process (e.g. left over from a crash): settle it here.
      this.records.finish(p, { status: "canceled" });
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
    return openStream(this.deps, this.records, (id) => this.get(id), token);
  }

  /** A webhook from a container (through the callback listener). Unknown tokens are a 404. */
  containerWebhook(token: string, body: CogPrediction): void {
    this.asyncPath.containerWebhook(token, body);
  }

  /** A file PUT to a container's --upload-url. The token names the version; 404 when unknown. */
  async containerUpload(u: { token: string; name: string; contentType: string | null; body: ReadableStream<Uint8Array> | Uint8Array; predictionId: string | null }): Promise<string> {
    const versionId = this.deps.callbacks?.versionForUploadToken(u.token);
    if (!versionId || !this.deps.files) throw notFound("Unknown upload URL");
    const r = u.predictionId ? this.records.running.get(u.predictionId) : undefined;
    return this.deps.files.storeUpload({
      uploadKey: u.token,
      name: u.name,
      contentType: u.contentType,
      body: u.body,
      predictionId: r && r.rec.versionId === versionId ? r.rec.id : null,
    });
  }

  /**
   * After a restart: takes back an async prediction a previous run left `processing` in a container
   * that survived (adopted with `lease`); its webhooks, sent with `webhookToken`, complete it. Fails
   * it with a reason if the container dies or no answer comes in time (see reattach.ts).
   */
  reattach(rec: PredictionRecord, webhookToken: string, lease: Lease): void {
    const version = this.deps.catalog.findVersion(rec.versionId);
    if (!version) {
      lease.release();
      this.deps.callbacks?.dropWebhook(webhookToken);
      this.records.finish(rec, { status: "failed", error: "modelhub restarted while this prediction was running, and its version is gone; run it again" });
      return;
    }
    const r = reattach(this.deps, this.records, this.runner, rec, version, webhookToken, lease);
    if (rec.deadline) r.deadlineTimer = setTimeout(() => void this.cancel(rec.id).catch(() => {}), Math.max(0, Date.parse(rec.deadline) - this.deps.clock.now()));
  }

  /** The deferred final writes (see LiveRecords.finish). Also called on shutdown. */
  writeFinished(): void {
    this.records.writeFinished();
  }

  /** Stops background work: pending writes are made, container sockets closed. */
  close(): void {
    this.writeFinished();
    this.http.close();
  }
}
