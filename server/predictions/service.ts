// The prediction service: create (validate, store, start its run), get, wait, cancel, streams, and
// what containers call back with. Each running prediction is a PredictionRun (prediction-run.ts),
// which alone changes it while it runs; finished ones are read from the store.
import type { Version } from "../catalog/catalog.ts";
import type { CogPrediction, CogRuntimeLine } from "../cog/cog-container.ts";
import { PythonCogServer } from "../cog/python-server.ts";
import { validateInput } from "../contract/input-validation.ts";
import { conflict, invalidInput, notFound, queueFull, unavailable } from "../errors.ts";
import { DockerUnavailableError } from "../runtime/runtime.ts";
import type { Lease } from "../scheduler/scheduler.ts";
import { newPredictionId, newToken } from "./ids.ts";
import { openStream, type StreamHandle } from "./open-stream.ts";
import { outputInfo } from "./output-schema.ts";
import { PredictionRun } from "./prediction-run.ts";
import type { RunContext, ServiceDeps } from "./run-context.ts";
import { RunRegistry } from "./run-registry.ts";
import { RunSpecs } from "./run-specs.ts";
import { type PredictionRecord, TERMINAL } from "./store.ts";
import { finishStored } from "./terminal-patch.ts";

export type { PredictionPolicy } from "./run-context.ts";
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
  /** the token creating it (tokens.id; "local" with auth off) */
  createdBy?: string | null;
}

/** How long a canceled prediction's model gets to stop before its container is restarted. */
export const CANCEL_GRACE_MS = 10_000;

export class PredictionService {
  private registry: RunRegistry;
  private specs: RunSpecs;
  private cog: CogRuntimeLine;
  private ctx: RunContext;

  constructor(private deps: ServiceDeps) {
    this.registry = new RunRegistry(deps.logger);
    this.specs = new RunSpecs(deps);
    this.cog = deps.cog ?? new PythonCogServer();
    this.ctx = {
      deps,
      registry: this.registry,
      cog: this.cog,
      typicalMs: new Map(),
      specFor: (v, deployment) => this.specs.cachedSpec(v, deployment),
      callbacksUnreachable: () => this.callbacksUnreachable(),
    };
  }

  /** A version by id, `owner/name` (latest) or `owner/name:id`, from a short-lived cache. */
  resolveVersion(ref: string): Version {
    return this.specs.resolveVersion(ref);
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
    this.specs.stillListed(version);
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
      createdBy: req.createdBy ?? null,
    };
    if (version.setupError) {
      // Fail fast with the remembered reason instead of booting a container that will fail the same way.
      this.deps.store.insert(rec);
      this.deps.events.publish("update", rec);
      finishStored(this.deps, rec, { status: "failed", error: version.setupError, logs: version.setupLogs ?? "" });
      return rec;
    }
    const run = new PredictionRun(this.ctx, rec, req.clientWaits ?? false, hasOwnFiles);
    run.admit(req.cancelAfterMs || null, () => void this.cancel(rec.id).catch(() => {}));
    void run.start(spec, version);
    return rec;
  }

  /** While it runs, the in-memory record is the truth (its `processing` write may still be pending). */
  get(id: string): PredictionRecord {
    const live = this.registry.live(id);
    if (live) return live;
    const p = this.deps.store.get(id);
    if (!p) throw notFound(`Prediction ${id} not found`);
    return p;
  }

  /** Stores a prediction that just ended now (its final write is otherwise deferred); throws when it cannot be written. */
  ensureStored(id: string): void {
    this.registry.writeNow(id);
  }

  /** Resolves with the prediction once it is terminal, or as it is after `ms`. */
  waitFor(id: string, ms: number): Promise<PredictionRecord> {
    const live = this.registry.running.get(id)?.rec;
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
    const run = this.registry.running.get(id);
    if (!run) {
      // Not running in this process (e.g. left over from a crash): settle it here.
      finishStored(this.deps, p, { status: "canceled" });
      return this.get(id);
    }
    await run.requestCancel();
    const settled = await this.waitFor(id, CANCEL_GRACE_MS);
    const instanceId = run.instanceId;
    if (TERMINAL.has(settled.status) || !instanceId) return settled;
    // The model ignored the cancel (a model may swallow Cog's CancelationException): stop its
    // container so the slot is not held forever (the next prediction starts a fresh one); the
    // prediction then ends as canceled.
    this.deps.logger.warn("model did not stop after cancel; stopping its container", { prediction: id, instance: instanceId });
    await this.deps.scheduler.stopNow(instanceId, `the model did not stop within ${CANCEL_GRACE_MS / 1000} s of being canceled, so its container was restarted`);
    return this.waitFor(id, 5_000);
  }

  /**
   * Deletes a finished prediction with its output files; works on a full disk (it frees space). One
   * still queued or running is a 409: cancel it first, so no run is pulled from under its container.
   */
  delete(id: string): void {
    const p = this.get(id);
    if (!TERMINAL.has(p.status)) throw conflict(`Prediction ${id} is ${p.status}: cancel it first (POST /v1/predictions/${id}/cancel), then delete it`);
    const deleteRow = () => void this.deps.store.delete(id);
    if (this.deps.files) this.deps.files.deleteWithPrediction(id, deleteRow);
    else deleteRow();
    // Synchronously after the row went: a queued final write can no longer bring it back.
    this.registry.forget(id);
  }

  /**
   * A stream on a prediction by its capability token: a replay of everything so far, then live
   * events. A subscriber counts toward the path choice of a prediction that has not started yet.
   */
  openStream(token: string): StreamHandle | null {
    return openStream(this.deps, this.registry, (id) => this.get(id), token);
  }

  /** A webhook from a container (through the callback listener). Unknown tokens are a 404. */
  containerWebhook(token: string, body: CogPrediction): void {
    const callbacks = this.deps.callbacks;
    const id = callbacks?.predictionForWebhookToken(token);
    const run = id ? this.registry.running.get(id) : undefined;
    // Cog retries a terminal webhook on 503: one that arrives while a restart is still re-attaching its prediction comes back.
    if (!run && callbacks?.isPending(token)) throw unavailable("modelhub is starting; try again");
    if (!run) throw notFound("No running prediction for this webhook");
    run.receiveWebhook(body);
  }

  /** A container webhook the listener refused (over its size limit): the run fails now with `reason`. */
  containerWebhookRefused(token: string, reason: string): void {
    const id = this.deps.callbacks?.predictionForWebhookToken(token);
    const run = id ? this.registry.running.get(id) : undefined;
    if (!run) return;
    this.deps.logger.warn("refused a container webhook; failing its prediction", { prediction: run.rec.id, reason });
    run.refuseWebhook(`The model's answer was too large for modelhub to accept (${reason}). Return large outputs as files, or send a smaller input.`);
  }

  /** A file PUT to a container's --upload-url. The token names the version; 404 when unknown. */
  async containerUpload(u: { token: string; name: string; contentType: string | null; body: ReadableStream<Uint8Array> | Uint8Array; predictionId: string | null }): Promise<string> {
    const versionId = this.deps.callbacks?.versionForUploadToken(u.token);
    if (!versionId || !this.deps.files) throw notFound("Unknown upload URL");
    // A version's upload URL is good only while one of that version's predictions runs.
    if (![...this.registry.running.values()].some((x) => x.rec.versionId === versionId)) throw notFound("No prediction of this version is running");
    const r = u.predictionId ? this.registry.running.get(u.predictionId) : undefined;
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
      finishStored(this.deps, rec, { status: "failed", error: "modelhub restarted while this prediction was running, and its version is gone; run it again" });
      return;
    }
    const run = PredictionRun.reattach(this.ctx, rec, version, webhookToken, lease);
    if (rec.deadline) run.armDeadline(Date.parse(rec.deadline) - this.deps.clock.now(), () => void this.cancel(rec.id).catch(() => {}));
  }

  /** The deferred final writes (see RunRegistry.ended). Also called on shutdown. */
  writeFinished(): void {
    this.registry.writeFinished();
  }

  /** Stops background work: pending writes are made, container sockets closed. */
  close(): void {
    this.registry.close();
    this.cog.close();
  }

  /** A container did not call back: later predictions take the sync path, on containers started without --upload-url. */
  private callbacksUnreachable(): void {
    const callbacks = this.deps.callbacks;
    if (!callbacks?.reachable) return;
    callbacks.reachable = false;
    this.specs.clearSpecs();
    this.deps.logger.warn(
      "containers do not reach modelhub's callback listener: predictions now take the sync path (no live logs or streaming until the end). Allow traffic from the Docker bridge to the host, or set --callback-host",
      { callbacks: callbacks.base },
    );
  }
}
