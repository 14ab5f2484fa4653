// Keeping the registry's disk in check: upload files no live session owns or idle for a day are
// removed, and blobs no tag or live version reaches are collected once older than a grace period
// (so a push in flight, whose blobs arrive before its manifest, never loses them).
import { rmSync } from "node:fs";
import type { Logger } from "../log.ts";
import type { BlobFiles } from "./blob-files.ts";
import type { RegistryStore } from "./registry-store.ts";
import type { UploadSessions } from "./upload-sessions.ts";

export const STALE_UPLOAD_MS = 24 * 3600_000;
export const BLOB_GRACE_MS = 3600_000;

export class RegistryHousekeeping {
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private store: RegistryStore,
    private files: BlobFiles,
    private uploads: UploadSessions,
    private logger: Logger,
    private graceMs = BLOB_GRACE_MS,
  ) {}

  /**
   * Drops the registry side of versions deleted from the catalog (their tags too), then removes
   * every unreachable blob older than the grace period. Returns what it removed.
   */
  collect(now = Date.now()): { versions: number; blobs: number; bytes: number } {
    const orphans = this.store.orphanedVersions();
    this.store.transaction(() => {
      for (const v of orphans) {
        this.store.deleteTagsTo(v.repo, [v.pushed_digest, v.manifest_digest]);
        this.store.dropVersion(v.version_id);
      }
    });
    const live = this.store.reachable();
    let blobs = 0;
    let bytes = 0;
    for (const b of this.files.list()) {
      if (live.has(b.digest) || now - b.mtimeMs < this.graceMs) continue;
      this.store.forget(b.digest);
      rmSync(this.files.path(b.digest), { force: true });
      blobs++;
      bytes += b.size;
    }
    if (blobs || orphans.length) this.logger.info("registry collected unreferenced blobs", { versions: orphans.length, blobs, bytes });
    return { versions: orphans.length, blobs, bytes };
  }

  async sweepUploads(now = Date.now()): Promise<number> {
    return this.uploads.sweep(STALE_UPLOAD_MS, now);
  }

  /** Runs both every hour (and the upload sweep once at start: files of a previous run are dead). */
  start(intervalMs = 3600_000): void {
    const run = async () => {
      try {
        await this.sweepUploads();
        this.collect();
      } catch (err) {
        this.logger.warn("registry housekeeping failed", { error: (err as Error).message });
      }
    };
    void run();
    this.timer = setInterval(run, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
