// Files: create (from bytes or a stream), get, list, delete, and the capability URLs they are
// served at. Uploads come from /v1/files; output files from predictions (data URLs decoded, or
// PUTs from the container's --upload-url).
import { notFound } from "../errors.ts";
import { join } from "node:path";
import type { BlobDir } from "./blobs.ts";
import { SpaceReserve } from "./space-reserve.ts";
import type { FileKind, FileRecord, FileStore } from "./store.ts";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

function newFileId(): string {
  let s = "";
  for (const b of crypto.getRandomValues(new Uint8Array(26))) s += ALPHABET[b & 31];
  return s;
}
const newToken = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");

export interface NewFile {
  kind: FileKind;
  name: string;
  contentType: string;
  body: Uint8Array | ReadableStream<Uint8Array>;
  metadata?: Record<string, unknown>;
  predictionId?: string | null;
  /** uploads: the token making it */
  createdBy?: string | null;
}

/** Names end up in URLs and Content-Disposition: keep a plain basename. */
export function safeName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  const clean = base.replace(/[\u0000-\u001f\u007f"]/g, "").trim();
  return clean && clean !== "." && clean !== ".." ? clean.slice(0, 200) : "file";
}

export class FileService {
  /** room for deletes on a full disk (the files folder shares the data folder's disk) */
  private reserve: SpaceReserve;

  constructor(
    private store: FileStore,
    private blobs: BlobDir,
    readonly maxBytes: number,
  ) {
    this.reserve = new SpaceReserve(join(blobs.root, ".space-reserve"));
    this.reserve.take();
  }

  async create(f: NewFile): Promise<FileRecord> {
    const id = newFileId();
    const written = await this.blobs.write(id, f.body, this.maxBytes, f.kind === "upload" ? "The uploaded file" : "The output file");
    const rec: FileRecord = {
      id,
      token: newToken(),
      kind: f.kind,
      name: safeName(f.name),
      contentType: f.contentType || "application/octet-stream",
      size: written.size,
      sha256: written.sha256,
      md5: written.md5,
      metadata: f.metadata ?? {},
      predictionId: f.predictionId ?? null,
      createdAt: new Date().toISOString(),
      // modelhub keeps files until they are deleted (or retention removes their prediction).
      expiresAt: null,
      createdBy: f.createdBy ?? null,
    };
    try {
      this.store.insert(rec);
    } catch (err) {
      this.blobs.remove(id);
      throw err;
    }
    return rec;
  }

  /** An uploaded file by id (what /v1/files/{id} serves). */
  getUpload(id: string): FileRecord {
    const f = this.store.get(id);
    if (!f || f.kind !== "upload") throw notFound(`File ${id} not found`);
    return f;
  }

  listUploads(limit: number, after?: { createdAt: string; id: string }, createdBy?: string): FileRecord[] {
    return this.store.list("upload", limit, after, createdBy);
  }

  /** Works on a full disk (the way to free space): the bytes go first, then the row, with the reserve's room if needed. */
  deleteUpload(id: string): void {
    const f = this.getUpload(id);
    this.blobs.remove(f.id);
    this.reserve.freeing(() => this.store.delete(f.id));
    this.reserve.take();
  }

  byToken(token: string): FileRecord | null {
    return this.store.byToken(token);
  }

  byId(id: string): FileRecord | null {
    return this.store.get(id);
  }

  linkToPrediction(id: string, predictionId: string): void {
    this.store.linkToPrediction(id, predictionId);
  }

  /** For retention: a prediction's output files go with it. */
  /**
   * Deletes output files that no prediction claimed within `graceMs` of their upload: a container
   * that stores files with its upload URL outside any prediction cannot fill the disk with them
   * (retention only ever deletes files with their prediction).
   */
  sweepUnlinkedOutputs(graceMs: number, now = Date.now()): number {
    const files = this.store.unlinkedOutputs(new Date(now - graceMs).toISOString());
    for (const f of files) {
      this.store.delete(f.id);
      this.blobs.remove(f.id);
    }
    return files.length;
  }

  deleteForPrediction(predictionId: string): number {
    const files = this.store.byPrediction(predictionId);
    for (const f of files) {
      this.blobs.remove(f.id);
      this.reserve.freeing(() => this.store.delete(f.id));
    }
    return files.length;
  }

  /** A prediction goes with its files, on a full disk too: the files first, then `deleteRow` with the reserve's room if needed. */
  deletePrediction(predictionId: string, deleteRow: () => void): void {
    this.deleteForPrediction(predictionId);
    this.reserve.freeing(deleteRow);
    this.reserve.take();
  }

  blobPath(f: FileRecord): string {
    return this.blobs.path(f.id);
  }

  /** The no-auth download URL on the public origin: `/files/<token>/<name>`. */
  publicUrl(f: FileRecord, origin: string): string {
    return `${origin}/files/${f.token}/${encodeURIComponent(f.name)}`;
  }

  /** The same capability on the container callback listener (containers cannot reach the public one). */
  internalUrl(f: FileRecord, callbackBase: string): string {
    return `${callbackBase}/internal/files/${f.token}/${encodeURIComponent(f.name)}`;
  }

  async readBytes(f: FileRecord): Promise<Uint8Array> {
    return new Uint8Array(await Bun.file(this.blobs.path(f.id)).arrayBuffer());
  }
}
