// The in-memory records of the predictions this process runs (and has just finished), and their writes to the store.
import type { CogPrediction } from "../runtime/cog-client.ts";
import { finalCapped } from "./log-cap.ts";
import type { ContainerPath } from "./path-choice.ts";
import { maxLogChars, type ServiceDeps } from "./service-deps.ts";
import { type PredictionRecord, TERMINAL } from "./store.ts";

/** Everything about a prediction that lives only while this process runs it. */
export interface Running {
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

/**
 * Writes wait this long: a prediction whose client holds the request open (Prefer: wait) and that
 * finishes sooner is written once, at the end, instead of three times (created, processing,
 * done). Until then GET and streams read it from memory; only that client knows its id, and if
 * modelhub dies meanwhile so does that client's request.
 */
export const PERSIST_DELAY_MS = 25;

export const round = (n: number) => Math.round(n * 1e6) / 1e6;

export class LiveRecords {
  readonly running = new Map<string, Running>();
  /** stream token → prediction id, for running predictions not written yet */
  readonly liveStreams = new Map<string, string>();
  /** finished predictions whose final write is queued (id → write), and their records */
  private finishing = new Map<string, () => void>();
  readonly finished = new Map<string, PredictionRecord>();

  constructor(private deps: ServiceDeps) {}

  private get maxLogChars(): number {
    return maxLogChars(this.deps.policy);
  }

  finish(rec: PredictionRecord, patch: Partial<PredictionRecord>): void {
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

  /** Writes a running prediction's current state: the first time as an insert. */
  flush(r: Running): void {
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
