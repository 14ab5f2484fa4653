// Blob upload sessions: bytes stream to <uploads>/<uuid> while a sha256 is updated chunk by chunk, so
// no layer is ever held in memory and the commit needs no second read. The hasher lives only in this
// process: a session that outlives it is unknown (404) and the client starts the layer again.
import { closeSync, openSync, writeSync } from "node:fs";
import { open, rm } from "node:fs/promises";
import type { BlobFiles } from "./blob-files.ts";
import { DistributionError, digestInvalid, uploadUnknown } from "./distribution-errors.ts";

export interface UploadSession {
  uuid: string;
  repo: string;
  offset: number;
  startedAt: number;
  /** set while a request writes to it: a second writer is refused rather than interleaved */
  busy: boolean;
  hasher: Bun.CryptoHasher;
}

/**
 * Bun hands each body chunk (~57 KiB) over in a fresh buffer. With modelhub's heap the collector let
 * ~100 MB of spent chunks pile up between collections, and the allocator gave that memory back to the
 * OS and faulted it in again (zeroing pages), which cost more than hashing. Asking for a collection
 * (asynchronous, cheap) every 8 MiB received keeps the chunks recycled: a 512 MiB PATCH took ~45% less
 * CPU and ~55 MiB less peak RSS (test/bench/registry.ts; docs/benchmarks.md).
 */
const COLLECT_EVERY = 8 * 1024 * 1024;

/** What a Range header says about a session: "0-<last>", "0-0" while empty (Docker parses %d-%d). */
export const uploadRange = (offset: number) => `0-${Math.max(0, offset - 1)}`;

export class UploadSessions {
  private sessions = new Map<string, UploadSession>();

  /** `idleMs`: how long an upload body may send nothing before it is cut (--request-timeout) */
  constructor(
    private files: BlobFiles,
    private idleMs = 30_000,
  ) {}

  async start(repo: string): Promise<UploadSession> {
    const s: UploadSession = { uuid: crypto.randomUUID(), repo, offset: 0, startedAt: Date.now(), busy: false, hasher: new Bun.CryptoHasher("sha256") };
    this.sessions.set(s.uuid, s); // before the file exists, so a concurrent sweep never sees it ownerless
    await (await open(this.files.uploadPath(s.uuid), "w")).close();
    return s;
  }

  get(repo: string, uuid: string): UploadSession {
    const s = this.sessions.get(uuid);
    if (!s || s.repo !== repo) throw uploadUnknown();
    return s;
  }

  /**
   * Appends a body to the session. `contentRange` (a chunked upload's "start-end", with or without
   * "bytes=") must start where the session is; otherwise 416 with the current Range.
   */
  async append(s: UploadSession, body: ReadableStream<Uint8Array> | null, contentRange: string | null): Promise<void> {
    if (contentRange !== null) {
      const m = /^(?:bytes[= ])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(contentRange.trim());
      if (!m || Number(m[1]) !== s.offset || Number(m[2]) < Number(m[1]))
        throw new DistributionError(416, "BLOB_UPLOAD_INVALID", `chunk ${contentRange} does not continue the upload at ${s.offset}`, null, {
          range: uploadRange(s.offset),
          location: `/v2/${s.repo}/blobs/uploads/${s.uuid}`,
          "docker-upload-uuid": s.uuid,
        });
    }
    if (!body) return;
    if (s.busy) throw new DistributionError(416, "BLOB_UPLOAD_INVALID", "another request is writing this upload", null, { range: uploadRange(s.offset) });
    s.busy = true;
    // Bun's idle timer cuts a request after --request-timeout even while its body arrives, so
    // registry uploads run without it (server.ts) and a stalled body is cut here: no chunk for idleMs.
    const reader = body.getReader();
    let last = Date.now();
    let stalled = false;
    const watchdog = setInterval(() => {
      if (Date.now() - last <= this.idleMs) return;
      stalled = true;
      reader.cancel().catch(() => {});
    }, Math.min(this.idleMs, 1000));
    // Synchronous writes of each chunk as it arrives: one awaited write per chunk let Bun queue the
    // body meanwhile (memory) and halved throughput; a chunk to the page cache takes microseconds.
    const fd = openSync(this.files.uploadPath(s.uuid), "a");
    let sinceCollect = 0;
    try {
      for (;;) {
        const { done, value: chunk } = await reader.read();
        if (stalled) throw new DistributionError(400, "BLOB_UPLOAD_INVALID", `no part of the body arrived for ${this.idleMs / 1000} s; start the upload again`);
        if (done) break;
        last = Date.now();
        s.hasher.update(chunk);
        // A short write would desynchronise file and hash: write until the whole chunk is down.
        let written = 0;
        while (written < chunk.length) written += writeSync(fd, chunk, written, chunk.length - written);
        s.offset += chunk.length;
        if ((sinceCollect += chunk.length) >= COLLECT_EVERY) {
          sinceCollect = 0;
          Bun.gc(false);
        }
      }
    } catch (err) {
      // The client went away mid-body: file and hash no longer agree with what it thinks it sent.
      clearInterval(watchdog);
      closeSync(fd);
      s.busy = false;
      await this.discard(s);
      if (err instanceof DistributionError) throw err;
      // Its side of things (a closed connection), not a fault here: a 400 nobody may read, no error logged.
      throw new DistributionError(400, "BLOB_UPLOAD_INVALID", `the upload body ended early (${(err as Error).message}); start the upload again`);
    }
    clearInterval(watchdog);
    s.busy = false;
    closeSync(fd);
  }

  /** Verifies the digest over every byte received and moves the file into the blob store. */
  async commit(s: UploadSession, digest: string): Promise<number> {
    const actual = `sha256:${s.hasher.digest("hex")}`;
    if (actual !== digest) {
      await this.discard(s);
      throw digestInvalid(`the uploaded content has digest ${actual}, not ${digest}`);
    }
    this.sessions.delete(s.uuid);
    this.files.commit(this.files.uploadPath(s.uuid), digest);
    return s.offset;
  }

  async discard(s: UploadSession): Promise<void> {
    this.sessions.delete(s.uuid);
    await rm(this.files.uploadPath(s.uuid), { force: true });
  }

  /** Sessions idle longer than `maxAgeMs`, and upload files no live session owns (left by a previous run). */
  async sweep(maxAgeMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    for (const u of this.files.uploads()) {
      const live = this.sessions.get(u.name);
      const stale = now - u.mtimeMs > maxAgeMs;
      // m-/export- files belong to a manifest write or an engine export in progress in this process.
      if (live ? stale && !live.busy : stale || !/^(m|export)-/.test(u.name)) {
        if (live) this.sessions.delete(u.name);
        await rm(this.files.uploadPath(u.name), { force: true });
        removed++;
      }
    }
    return removed;
  }

  get count(): number {
    return this.sessions.size;
  }
}
