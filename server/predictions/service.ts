// Predictions: create (validate, store, run), get, list, cancel, wait. Owns every status change:
// starting → processing → succeeded | failed | canceled, and publishes each one as an event.
import type { Catalog, Version } from "../catalog/catalog.ts";
import type { Policies } from "../catalog/policy.ts";
import { validateInput } from "../contract/openapi-input.ts";
import { AppError, invalidInput, notFound, queueFull, unavailable } from "../errors.ts";
import type { Logger } from "../log.ts";
import { cancelPrediction, predict, type CogPrediction } from "../runtime/cog-client.ts";
import { DockerUnavailableError, GpuUnavailableError, RuntimeError } from "../runtime/runtime.ts";
import type { Clock } from "../scheduler/clock.ts";
import { CanceledError, QueueFullError, type RunSpec, type Scheduler, SetupFailedError } from "../scheduler/scheduler.ts";
import type { PredictionEvents } from "./events.ts";
import { newPredictionId, newToken } from "./ids.ts";
import { type PredictionRecord, type PredictionStore, TERMINAL } from "./store.ts";

export interface CreatePrediction {
  version: Version;
  input: unknown;
  source?: "api" | "web";
  webhook?: string | null;
  webhookEventsFilter?: string[] | null;
  deployment?: string | null;
}

export interface PredictionPolicy {
  idleTimeoutMs: number;
  setupTimeoutMs: number;
  maxQueue: number;
  predictTimeoutMs: number;
}

interface Running {
  abort: AbortController;
  baseUrl?: string;
  cancelRequested: boolean;
}

const MAX_LOG_CHARS = 1_000_000;

export class PredictionService {
  private running = new Map<string, Running>();

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
    },
  ) {}

  /** What the scheduler runs for a prediction on `v` (through deployment `owner/name` when given). */
  runSpec(v: Version, deployment?: string | null): RunSpec {
    if (this.deps.policies) return this.deps.policies.runSpec(v, deployment);
    const p = this.deps.policy;
    return {
      versionId: v.id,
      model: v.model,
      image: `sha256:${v.id}`,
      gpuCount: v.config.build?.gpu ? 1 : 0,
      concurrency: Math.max(1, Number(v.config.concurrency?.max ?? 1) || 1),
      maxQueue: p.maxQueue,
      idleTimeoutMs: p.idleTimeoutMs,
      setupTimeoutMs: p.setupTimeoutMs,
    };
  }

  /**
   * Checks what a cold start needs before a prediction is accepted, so a stopped Docker engine is a
   * 503 that says so rather than a stored prediction that fails later. Skipped when a container
   * is already up (the fast path pays nothing).
   */
  async preflight(v: Version, deployment?: string | null): Promise<void> {
    if (v.setupError) return; // create() fails it at once with the remembered reason
    // A model that needs a GPU this machine does not have is told so before anything is stored.
    const unfit = this.deps.scheduler.unfit(this.runSpec(v, deployment));
    if (unfit) throw unavailable(`${unfit}. Use a machine with an NVIDIA GPU, or run it on the CPU: modelhub policy ${v.model} gpus=0`, "gpu_unavailable");
    if (this.deps.scheduler.hasLive(v.id)) return;
    try {
      await this.deps.scheduler.ping();
    } catch (err) {
      if (err instanceof DockerUnavailableError) throw unavailable(err.message, "docker_unavailable");
      throw err;
    }
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
    const spec = this.runSpec(version, req.deployment);
    const full = this.deps.scheduler.queueFull(spec);
    if (full) throw queueFull(full.message, full.retryAfterSeconds);

    const now = new Date(this.deps.clock.now()).toISOString();
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
      deadline: null,
      instanceId: null,
      streamToken: newToken(),
    };
    this.deps.store.insert(rec);
    this.deps.events.publish("update", rec);

    if (version.setupError) {
      // Fail fast with the remembered reason instead of booting a container that will fail the same way.
      this.finish(rec, { status: "failed", error: version.setupError, logs: version.setupLogs ?? "" });
      return rec;
    }
    void this.run(rec, spec);
    return rec;
  }

  get(id: string): PredictionRecord {
    const p = this.deps.store.get(id);
    if (!p) throw notFound(`Prediction ${id} not found`);
    return p;
  }

  /** Resolves with the prediction once it is terminal, or as it is after `ms`. */
  waitFor(id: string, ms: number): Promise<PredictionRecord> {
    const cur = this.get(id);
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
    return this.waitFor(id, 10_000);
  }

  private async run(rec: PredictionRecord, spec: RunSpec): Promise<void> {
    const running: Running = { abort: new AbortController(), cancelRequested: false };
    this.running.set(rec.id, running);
    let lease;
    try {
      lease = await this.deps.scheduler.acquire(spec, running.abort.signal, rec.id);
    } catch (err) {
      this.running.delete(rec.id);
      if (err instanceof CanceledError) return this.finish(rec, { status: "canceled" });
      if (err instanceof SetupFailedError) return this.finish(rec, { status: "failed", error: err.message, logs: err.logs });
      return this.finish(rec, { status: "failed", error: userMessage(err) });
    }
    running.baseUrl = lease.baseUrl;
    const startedAt = new Date(this.deps.clock.now()).toISOString();
    Object.assign(rec, { status: "processing", startedAt, instanceId: lease.instanceId });
    this.deps.store.update(rec.id, { status: "processing", startedAt, instanceId: lease.instanceId });
    this.deps.events.publish("start", rec);
    const t0 = performance.now();
    const timeout = setTimeout(() => running.abort.abort(), this.deps.policy.predictTimeoutMs);
    try {
      const result = await this.callContainer(rec, lease.baseUrl, running);
      const predictTime = (performance.now() - t0) / 1000;
      const p = result;
      const status = p.status === "succeeded" || p.status === "failed" || p.status === "canceled" ? p.status : "failed";
      const metrics: Record<string, number> = {};
      for (const [k, v] of Object.entries(p.metrics ?? {})) if (typeof v === "number") metrics[k] = v;
      if (metrics.predict_time === undefined) metrics.predict_time = round(predictTime);
      this.finish(rec, {
        status,
        output: p.output ?? null,
        logs: p.logs ?? "",
        error: status === "failed" ? String(p.error ?? "The model failed without a message") : null,
        metrics,
      });
    } catch (err) {
      if (running.cancelRequested) this.finish(rec, { status: "canceled" });
      else if (running.abort.signal.aborted)
        this.finish(rec, { status: "failed", error: `The prediction ran longer than the ${Math.round(this.deps.policy.predictTimeoutMs / 1000)} s limit and was stopped` });
      else {
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
      this.running.delete(rec.id);
      lease.release();
    }
  }

  /** POSTs to the container; a 409 means "busy right now" (it can lag our own accounting), never a user error. */
  private async callContainer(rec: PredictionRecord, baseUrl: string, running: Running): Promise<CogPrediction> {
    for (let attempt = 0; ; attempt++) {
      const res = await predict(baseUrl, { id: rec.id, input: rec.input }, running.abort.signal);
      if (res.kind === "done") return res.prediction;
      if (res.kind === "busy") {
        await this.deps.clock.sleep(Math.min(5 + attempt * 5, 100));
        continue;
      }
      if (res.kind === "invalid")
        return { status: "failed", error: `The model rejected the input: ${JSON.stringify(res.detail)}`, logs: "" };
      return { status: "failed", error: `The model container answered HTTP ${res.status}: ${res.body}`, logs: "" };
    }
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
    const completedAt = new Date(this.deps.clock.now()).toISOString();
    const metrics = { ...(patch.metrics ?? rec.metrics) };
    metrics.total_time = round((Date.parse(completedAt) - Date.parse(rec.createdAt)) / 1000);
    let logs = patch.logs ?? rec.logs;
    if (logs.length > MAX_LOG_CHARS) logs = "[earlier logs truncated]\n" + logs.slice(-MAX_LOG_CHARS);
    const full: Partial<PredictionRecord> = { ...patch, logs, metrics, completedAt };
    Object.assign(rec, full);
    this.deps.store.update(rec.id, full);
    this.deps.events.publish("completed", rec);
  }
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

function userMessage(err: unknown): string {
  if (err instanceof DockerUnavailableError || err instanceof GpuUnavailableError || err instanceof RuntimeError) return err.message;
  if (err instanceof QueueFullError) return err.message;
  if (err instanceof AppError) return err.detail;
  return `Internal error: ${(err as Error).message}`;
}

