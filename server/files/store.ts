// SQL for the files table: uploads made through /v1/files and output files made by predictions.
import type { Db } from "../db/database.ts";

export type FileKind = "upload" | "output";

export interface FileRecord {
  id: string;
  /** capability: the unguessable part of the no-auth download URL */
  token: string;
  kind: FileKind;
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  md5: string;
  metadata: Record<string, unknown>;
  /** output files: the prediction that produced them (set once its output names them) */
  predictionId: string | null;
  createdAt: string;
  expiresAt: string | null;
  /** uploads: the token that made it (tokens.id, "local" with auth off) */
  createdBy?: string | null;
}

interface Row {
  id: string;
  token: string;
  kind: FileKind;
  name: string;
  content_type: string;
  size: number;
  sha256: string;
  md5: string;
  metadata: string;
  prediction_id: string | null;
  created_at: string;
  expires_at: string | null;
  created_by: string | null;
}

const toRecord = (r: Row): FileRecord => ({
  id: r.id,
  token: r.token,
  kind: r.kind,
  name: r.name,
  contentType: r.content_type,
  size: r.size,
  sha256: r.sha256,
  md5: r.md5,
  metadata: JSON.parse(r.metadata),
  predictionId: r.prediction_id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  createdBy: r.created_by,
});

export class FileStore {
  constructor(private db: Db) {}

  insert(f: FileRecord): void {
    this.db
      .query(
        `INSERT INTO files (id, token, kind, name, content_type, size, sha256, md5, metadata, prediction_id, created_at, expires_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(f.id, f.token, f.kind, f.name, f.contentType, f.size, f.sha256, f.md5, JSON.stringify(f.metadata), f.predictionId, f.createdAt, f.expiresAt, f.createdBy ?? null);
  }

  get(id: string): FileRecord | null {
    const r = this.db.query("SELECT * FROM files WHERE id = ?").get(id) as Row | null;
    return r ? toRecord(r) : null;
  }

  byToken(token: string): FileRecord | null {
    const r = this.db.query("SELECT * FROM files WHERE token = ?").get(token) as Row | null;
    return r ? toRecord(r) : null;
  }

  /** Newest first; `after` is the (created_at, id) of the last row of the previous page. */
  list(kind: FileKind, limit: number, after?: { createdAt: string; id: string }, createdBy?: string): FileRecord[] {
    const mine = createdBy === undefined ? "" : " AND created_by = ?";
    const who = createdBy === undefined ? [] : [createdBy];
    const rows = after
      ? this.db
          .query(`SELECT * FROM files WHERE kind = ?${mine} AND (created_at < ? OR (created_at = ? AND id < ?)) ORDER BY created_at DESC, id DESC LIMIT ?`)
          .all(kind, ...who, after.createdAt, after.createdAt, after.id, limit)
      : this.db.query(`SELECT * FROM files WHERE kind = ?${mine} ORDER BY created_at DESC, id DESC LIMIT ?`).all(kind, ...who, limit);
    return (rows as Row[]).map(toRecord);
  }

  /** Output files no prediction ever claimed, made before `before` (ISO time). */
  unlinkedOutputs(before: string): FileRecord[] {
    return (this.db.query("SELECT * FROM files WHERE kind = 'output' AND prediction_id IS NULL AND created_at < ?").all(before) as Row[]).map(toRecord);
  }

  byPrediction(predictionId: string): FileRecord[] {
    return (this.db.query("SELECT * FROM files WHERE prediction_id = ?").all(predictionId) as Row[]).map(toRecord);
  }

  linkToPrediction(id: string, predictionId: string): void {
    this.db.query("UPDATE files SET prediction_id = ? WHERE id = ? AND prediction_id IS NULL").run(predictionId, id);
  }

  delete(id: string): void {
    this.db.query("DELETE FROM files WHERE id = ?").run(id);
  }
}
