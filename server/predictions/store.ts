// SQL for predictions: insert, partial updates, get, cursor-paged lists, unfinished ones.
import type { Db } from "../db/database.ts";

export type PredictionStatus = "starting" | "processing" | "succeeded" | "failed" | "canceled";
export const TERMINAL: ReadonlySet<PredictionStatus> = new Set(["succeeded", "failed", "canceled"]);

export interface PredictionRecord {
  id: string;
  model: string;
  versionId: string;
  input: Record<string, unknown>;
  output: unknown;
  logs: string;
  error: string | null;
  status: PredictionStatus;
  source: "api" | "web";
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  metrics: Record<string, number>;
  webhook: string | null;
  webhookEventsFilter: string[] | null;
  deployment: string | null;
  deadline: string | null;
  instanceId: string | null;
  streamToken: string;
  /** origin the prediction was created through; output file URLs are absolute on it */
  origin: string | null;
  /** the version's outputs are files: the stream URL goes under /v1/files/ */
  fileOutput: boolean;
  /** the token that created it (tokens.id, or "local" with auth off); null before tokens existed */
  createdBy?: string | null;
}

interface Row {
  id: string;
  model: string;
  version_id: string;
  input: string;
  output: string | null;
  logs: string;
  error: string | null;
  status: PredictionStatus;
  source: "api" | "web";
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  metrics: string;
  webhook: string | null;
  webhook_events_filter: string | null;
  deployment: string | null;
  deadline: string | null;
  instance_id: string | null;
  stream_token: string;
  origin: string | null;
  file_output: number;
  created_by: string | null;
}

const COLUMNS: Record<keyof PredictionRecord, keyof Row> = {
  id: "id",
  model: "model",
  versionId: "version_id",
  input: "input",
  output: "output",
  logs: "logs",
  error: "error",
  status: "status",
  source: "source",
  createdAt: "created_at",
  startedAt: "started_at",
  completedAt: "completed_at",
  metrics: "metrics",
  webhook: "webhook",
  webhookEventsFilter: "webhook_events_filter",
  deployment: "deployment",
  deadline: "deadline",
  instanceId: "instance_id",
  streamToken: "stream_token",
  origin: "origin",
  fileOutput: "file_output",
  createdBy: "created_by",
};
const JSON_FIELDS = new Set<keyof PredictionRecord>(["input", "output", "metrics", "webhookEventsFilter"]);
const KEYS = Object.keys(COLUMNS) as (keyof PredictionRecord)[];
const INSERT_SQL = `INSERT INTO predictions (${KEYS.map((k) => COLUMNS[k]).join(", ")}) VALUES (${KEYS.map(() => "?").join(", ")})`;

function toRecord(r: Row): PredictionRecord {
  return {
    id: r.id,
    model: r.model,
    versionId: r.version_id,
    input: JSON.parse(r.input),
    output: r.output === null ? null : JSON.parse(r.output),
    logs: r.logs,
    error: r.error,
    status: r.status,
    source: r.source,
    createdAt: r.created_at,
    startedAt: r.started_at,
    completedAt: r.completed_at,
    metrics: JSON.parse(r.metrics),
    webhook: r.webhook,
    webhookEventsFilter: r.webhook_events_filter === null ? null : JSON.parse(r.webhook_events_filter),
    deployment: r.deployment,
    deadline: r.deadline,
    instanceId: r.instance_id,
    streamToken: r.stream_token,
    origin: r.origin,
    fileOutput: r.file_output === 1,
    createdBy: r.created_by,
  };
}

function toValue(k: keyof PredictionRecord, v: unknown): string | number | null {
  if (JSON_FIELDS.has(k)) return v === null || v === undefined ? (k === "metrics" ? "{}" : null) : JSON.stringify(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  return (v ?? null) as string | number | null;
}

export class PredictionStore {
  constructor(private db: Db) {}

  insert(p: PredictionRecord): void {
    this.db.query(INSERT_SQL).run(...KEYS.map((k) => toValue(k, p[k])));
  }

  /** Removes the row (run counts follow through their triggers); whether there was one. */
  delete(id: string): boolean {
    return this.db.query("DELETE FROM predictions WHERE id = ?").run(id).changes > 0;
  }

  update(id: string, patch: Partial<PredictionRecord>): void {
    const keys = Object.keys(patch) as (keyof PredictionRecord)[];
    if (!keys.length) return;
    this.db
      .query(`UPDATE predictions SET ${keys.map((k) => `${COLUMNS[k]} = ?`).join(", ")} WHERE id = ?`)
      .run(...keys.map((k) => toValue(k, patch[k])), id);
  }

  get(id: string): PredictionRecord | null {
    const r = this.db.query("SELECT * FROM predictions WHERE id = ?").get(id) as Row | null;
    return r ? toRecord(r) : null;
  }

  byStreamToken(token: string): PredictionRecord | null {
    const r = this.db.query("SELECT * FROM predictions WHERE stream_token = ?").get(token) as Row | null;
    return r ? toRecord(r) : null;
  }

  /** Newest first; `after` is the (created_at, id) of the last row of the previous page. */
  /**
   * Newest first. `from` is a page edge: with `before` unset, the rows older than it (the next
   * page); with `before`, the `limit` rows just newer than it (the previous page), still newest first.
   */
  list(limit: number, from?: { createdAt: string; id: string; before?: boolean }, createdBy?: string): PredictionRecord[] {
    // `createdBy` keeps one token's predictions (a user's own list).
    const mine = createdBy === undefined ? "" : " AND created_by = ?";
    const who = createdBy === undefined ? [] : [createdBy];
    if (from?.before) {
      const rows = this.db
        .query(`SELECT * FROM predictions WHERE (created_at > ? OR (created_at = ? AND id > ?))${mine} ORDER BY created_at ASC, id ASC LIMIT ?`)
        .all(from.createdAt, from.createdAt, from.id, ...who, limit) as Row[];
      return rows.reverse().map(toRecord);
    }
    const rows = from
      ? this.db
          .query(`SELECT * FROM predictions WHERE (created_at < ? OR (created_at = ? AND id < ?))${mine} ORDER BY created_at DESC, id DESC LIMIT ?`)
          .all(from.createdAt, from.createdAt, from.id, ...who, limit)
      : this.db.query(`SELECT * FROM predictions WHERE 1 = 1${mine} ORDER BY created_at DESC, id DESC LIMIT ?`).all(...who, limit);
    return (rows as Row[]).map(toRecord);
  }

  countByModel(model: string): number {
    // Kept by triggers (migration 6), so a list of models costs no scan of their predictions.
    return (this.db.query("SELECT n FROM model_run_counts WHERE model = ?").get(model) as { n: number } | null)?.n ?? 0;
  }

  /** countByModel for a page of models in one query. */
  countsByModel(models: readonly string[]): Map<string, number> {
    const rows = this.db.query("SELECT model, n FROM model_run_counts WHERE model IN (SELECT value FROM json_each(?))").all(JSON.stringify(models)) as { model: string; n: number }[];
    return new Map(rows.map((r) => [r.model, r.n]));
  }

  unfinished(): PredictionRecord[] {
    return (this.db.query("SELECT * FROM predictions WHERE status IN ('starting','processing')").all() as Row[]).map(toRecord);
  }
}
