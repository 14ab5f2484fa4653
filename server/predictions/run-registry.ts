// The predictions this process runs, found by id, stream token or webhook token, and the final
// writes of the ones that just ended (deferred by one turn of the event loop).
import type { PredictionRun } from "./prediction-run.ts";
import type { PredictionRecord } from "./store.ts";
import type { Logger } from "../log.ts";

export class RunRegistry {
  readonly running = new Map<string, PredictionRun>();
  /** stream token → prediction id, for running predictions not written yet */
  readonly liveStreams = new Map<string, string>();
  /** finished predictions whose final write is queued (id → write), and their records */
  private finishing = new Map<string, () => void>();
  readonly finished = new Map<string, PredictionRecord>();

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
    if (this.finishing.size === 1) setImmediate(() => this.writeFinished());
    this.running.delete(rec.id);
  }

  /** The deferred final writes (see ended). Also called on shutdown. */
  writeFinished(): void {
    for (const [id, write] of this.finishing) {
      this.finishing.delete(id);
      this.finished.delete(id);
      try {
        write();
      } catch (err) {
        this.logger.error("could not store a finished prediction", { prediction: id, error: (err as Error).message });
      }
    }
  }
}
