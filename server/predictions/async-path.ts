// The async (live) path: the PUT with a webhook, container webhooks merged in order into the record, and the fall back to sync.
import type { Version } from "../catalog/catalog.ts";
import { notFound, unavailable } from "../errors.ts";
import { cancelPrediction, type CogPrediction } from "../runtime/cog-client.ts";
import type { Lease } from "../scheduler/scheduler.ts";
import { startAsync } from "./cog-async.ts";
import type { Http1Client } from "./http1.ts";
import type { LiveRecords, Running } from "./live-records.ts";
import { appendCapped } from "./log-cap.ts";
import { ingestOutput } from "./output-ingest.ts";
import type { RunSpecs } from "./run-specs.ts";
import { maxLogChars, type ServiceDeps } from "./service-deps.ts";
import { type PredictionRecord, TERMINAL } from "./store.ts";
import { busyDelayMs, callSync, rejected } from "./sync-path.ts";

const LIVENESS_POLL_MS = 500;
/**
 * Cog sends its `start` webhook as soon as it accepts an async prediction. Silence this long means
 * the container cannot reach the callback listener (a firewall on docker0, a wrong
 * --callback-host): the prediction is moved to the sync path and so is every later one.
 */
const FIRST_WEBHOOK_TIMEOUT_MS = 5000;

class CallbacksUnreachableError extends Error {}

export class AsyncPath {
  constructor(
    private deps: ServiceDeps,
    private records: LiveRecords,
    private specs: RunSpecs,
    private http: Http1Client,
  ) {}

  private get maxLogChars(): number {
    return maxLogChars(this.deps.policy);
  }

  /** A webhook from a container (through the callback listener). Unknown tokens are a 404. */
  containerWebhook(token: string, body: CogPrediction): void {
    const id = this.deps.callbacks?.predictionForWebhookToken(token);
    const r = id ? this.records.running.get(id) : undefined;
    // Cog retries a terminal webhook on 503: one that arrives while a restart is still re-attaching its prediction comes back.
    if (!r && this.deps.callbacks?.isPending(token)) throw unavailable("modelhub is starting; try again");
    if (!r) throw notFound("No running prediction for this webhook");
    r.webhooksSeen++;
    const reportedAt = performance.now();
    const terminal = body.status === "succeeded" || body.status === "failed" || body.status === "canceled";
    // The terminal state is merged by run() once every earlier webhook has been merged.
    r.merging = r.merging
      .then(() => (terminal ? r.terminal?.resolve(body) : this.mergeLive(r, body, reportedAt)))
      .catch((err) => this.deps.logger.warn("could not merge a container webhook", { prediction: r.rec.id, error: (err as Error).message }));
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
        // Also right after a `completed` webhook: the container may not be free yet (docs/cog-protocol.md).
        await this.deps.clock.sleep(busyDelayMs(attempt));
        continue;
      }
      return rejected(res);
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
  async callAsyncOrFallBack(r: Running, input: Record<string, unknown>, lease: Lease, version: Version, swap: (fresh: Lease) => void): Promise<CogPrediction> {
    try {
      return await this.callAsync(r, input, lease);
    } catch (err) {
      if (!(err instanceof CallbacksUnreachableError)) throw err;
      const callbacks = this.deps.callbacks!;
      if (callbacks.reachable) {
        callbacks.reachable = false;
        this.specs.clearSpecs();
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
      const fresh = await this.deps.scheduler.acquire(this.specs.cachedSpec(version, r.rec.deployment), r.abort.signal, r.rec.id);
      swap(fresh);
      return callSync(this.http, this.deps.clock, r.rec, input, fresh.baseUrl, r);
    }
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
      const items = await ingestOutput(this.deps, fresh, rec);
      rec.output = [...(Array.isArray(rec.output) ? rec.output : []), ...(items as unknown[])];
      patch.output = rec.output;
      newOutput = true;
    }
    if (!Object.keys(patch).length) return;
    if (r.persisted) this.deps.store.update(rec.id, patch);
    else this.records.flush(r);
    if (newOutput) this.deps.events.publish("output", rec, reportedAt);
    if (patch.logs !== undefined) this.deps.events.publish("logs", rec, reportedAt);
  }
}
