// The predictions this process runs, found by id, stream token or webhook token, and the final
// writes of the ones that just ended (deferred by one turn of the event loop).
import type { PredictionRun } from "./prediction-run.ts";
import type { PredictionRecord } from "./store.ts";
import type { Logger } from "../log.ts";

/** How often final writes that failed (a full disk) are tried again. */
const RETRY_WRITE_MS = 2000;

export class RunRegistry {
  readonly running = new Map<string, PredictionRun>();
  /** stream token → prediction id, for running predictions not written yet */
  readonly liveStreams = new Map<string, string>();
  /** finished predictions whose final write is queued (id → write), and their records */
  private finishing = new Map<string, () => void>();
  readonly finished = new Map<string, PredictionRecord>();
  /** a writeFinished is queued for the next turn */
  private scheduled = false;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(private logger: Logger) {}

  add(run: PredictionRun): void {
    this.running.set(run.rec.id, run);
    this.liveStreams.set(run.rec.streamToken, run.rec.id);
  }

  /** The record as this process knows it: running, or ended with its write still queued. */
  live(id: string): PredictionRecord | undefined {
    return this.running.get(id)?.rec ?? this.finished.get(id);
  }

  /**
   * A run ended: its record stays readable from memory until `write` (its one write, or its last)
   * runs on the next turn of the event loop, which keeps the write after the answer on the fast path.
   */
  ended(rec: PredictionRecord, write: () => void): void {
    this.finishing.set(rec.id, () => {
      write();
      this.liveStreams.delete(rec.streamToken);
    });
    this.finished.set(rec.id, rec);
    this.running.delete(rec.id);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.writeFinished());
    }
  }

  /** A deleted prediction: its queued final write (if any) must not bring its row back. */
  forget(id: string): void {
    const rec = this.finished.get(id);
    if (rec) this.liveStreams.delete(rec.streamToken);
    this.finishing.delete(id);
    this.finished.delete(id);
  }

  /**
   * Makes `id`'s queued final write now, before a waiting client is told the prediction ended:
   * nothing is reported finished unless it is stored. Throws when the write fails (a full disk: the
   * client gets a 507, and the write is tried again later).
   */
  writeNow(id: string): void {
    const write = this.finishing.get(id);
    if (!write) return;
    write();
    this.finishing.delete(id);
    this.finished.delete(id);
  }

  /**
   * The deferred final writes (see ended). Also called on shutdown. A write that fails (a full disk)
   * keeps its record readable from memory and is tried again every RETRY_WRITE_MS until it succeeds.
   */
  writeFinished(): void {
    this.scheduled = false;
    let failed = 0;
    for (const [id, write] of this.finishing) {
      try {
        write();
        this.finishing.delete(id);
        this.finished.delete(id);
      } catch (err) {
        failed++;
        this.logger.error("could not store a finished prediction; trying again shortly", { prediction: id, error: (err as Error).message });
      }
    }
    if (failed && !this.retry && !this.closed) {
      this.retry = setTimeout(() => {
        this.retry = undefined;
        this.writeFinished();
      }, RETRY_WRITE_MS);
      this.retry.unref?.();
    }
  }

  /** Shutdown: the last try at every queued write (what still fails is logged), no more retries. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.writeFinished();
  }
}
