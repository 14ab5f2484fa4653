// Retention: finished predictions older than --retention-days are deleted, with their logs and, through
// the deleteFiles hook, their output files. Runs at start and then hourly; 0 days keeps everything.
import type { Db } from "../db/database.ts";
import type { Logger } from "../log.ts";

export interface RetentionOptions {
  db: Db;
  logger: Logger;
  /** 0 = keep forever */
  days: number;
  /**
   * Deletes the stored files of one prediction (the files service owns them). Called before the
   * prediction's row goes, so a failure leaves the row for the next sweep and no file is orphaned.
   */
  deleteFiles?: (predictionId: string) => void | Promise<void>;
  now?: () => number;
  intervalMs?: number;
}

/** Rows per transaction: short write locks, so predictions being created never wait long. */
const BATCH = 500;
const HOUR = 60 * 60 * 1000;

export class Retention {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<number> | null = null;

  constructor(private o: RetentionOptions) {}

  /** The creation time before which finished predictions go, or null when keeping forever. */
  cutoff(): string | null {
    if (this.o.days <= 0) return null;
    return new Date((this.o.now ?? Date.now)() - this.o.days * 24 * HOUR).toISOString();
  }

  /** Deletes what is past retention now; resolves with how many predictions went. One sweep at a time. */
  sweep(): Promise<number> {
    return (this.running ??= this.doSweep().finally(() => (this.running = null)));
  }

  private async doSweep(): Promise<number> {
    const cutoff = this.cutoff();
    if (!cutoff) return 0;
    let total = 0;
    for (;;) {
      // Only finished ones: a prediction still starting or running is never pulled from under its run.
      const ids = (
        this.o.db
          .query("SELECT id FROM predictions WHERE created_at < ? AND status IN ('succeeded','failed','canceled') ORDER BY created_at LIMIT ?")
          .all(cutoff, BATCH) as { id: string }[]
      ).map((r) => r.id);
      if (!ids.length) break;
      const gone: string[] = [];
      for (const id of ids) {
        try {
          await this.o.deleteFiles?.(id);
          gone.push(id);
        } catch (err) {
          this.o.logger.warn("could not delete a prediction's files; keeping it for the next sweep", { prediction: id, error: (err as Error).message });
        }
      }
      if (gone.length)
        this.o.db.transaction(() => {
          const del = this.o.db.query("DELETE FROM predictions WHERE id = ?");
          for (const id of gone) del.run(id);
        })();
      total += gone.length;
      if (gone.length < ids.length || ids.length < BATCH) break;
    }
    if (total) this.o.logger.info("deleted predictions past retention", { count: total, olderThan: cutoff, retentionDays: this.o.days });
    return total;
  }

  /** Sweeps now and then every hour (by default) until stop(). The timer does not keep the process alive. */
  start(): void {
    if (this.o.days <= 0 || this.timer) return;
    const run = () => void this.sweep().catch((err: Error) => this.o.logger.error("retention sweep failed", { error: err.message }));
    run();
    this.timer = setInterval(run, this.o.intervalMs ?? HOUR);
    (this.timer as { unref?: () => void }).unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }
}
