// Models and versions: every SQL statement for those tables lives here.
import type { Db } from "../db/database.ts";
import { conflict, invalidInput, notFound } from "../errors.ts";
import type { CogConfig } from "./cog-labels.ts";
import { MODEL_PART } from "./cog-labels.ts";

export interface ModelRow {
  id: number;
  owner: string;
  name: string;
  description: string | null;
  visibility: "public" | "private";
  /** who sees its predictions: "owner" (the token that made each one) or "public" (anyone who may see the model) */
  predictions_visibility: PredictionsVisibility;
  created_at: string;
  github_url: string | null;
  paper_url: string | null;
  license_url: string | null;
  cover_image_url: string | null;
  readme: string | null;
}

export type PredictionsVisibility = "owner" | "public";

/** The fields a user may set on a model; null clears one, undefined leaves it as it is. */
export interface ModelFields {
  description?: string | null;
  visibility?: "public" | "private";
  predictions_visibility?: PredictionsVisibility;
  github_url?: string | null;
  paper_url?: string | null;
  license_url?: string | null;
  cover_image_url?: string | null;
  readme?: string | null;
}

const EDITABLE = ["description", "visibility", "predictions_visibility", "github_url", "paper_url", "license_url", "cover_image_url", "readme"] as const;
/** Fields that always have a value: null in a change leaves them as they are, absent on create takes this default. */
const REQUIRED: Partial<Record<(typeof EDITABLE)[number], string>> = { visibility: "public", predictions_visibility: "owner" };

export type ModelSort = "model_created_at" | "latest_version_created_at";

/** Keyset position after the last row of a page: its sort key and id. */
export interface ModelCursor {
  key: string;
  id: number;
}

// The sort key per sort. A model without versions sorts as "" (oldest) so it still has a position.
const SORT_KEY: Record<ModelSort, string> = {
  model_created_at: "m.created_at",
  latest_version_created_at: "COALESCE((SELECT MAX(v.created_at) FROM versions v WHERE v.model_id = m.id), '')",
};

export interface VersionRow {
  id: string;
  model_id: number;
  image: string;
  cog_version: string;
  openapi_schema: string;
  cog_config: string;
  created_at: string;
  setup_error: string | null;
  setup_logs: string | null;
}

export interface Version {
  id: string;
  modelId: number;
  model: string; // owner/name
  image: string;
  cogVersion: string;
  openapiSchema: Record<string, unknown>;
  config: CogConfig;
  createdAt: string;
  setupError: string | null;
  setupLogs: string | null;
}

/**
 * The engine reference a version's containers run: the image ID for images imported from the
 * engine (the version id is their config digest), the registry digest reference for pushed ones
 * (their version id is the manifest digest, which the engine does not index by).
 */
export function engineImageRef(v: Pick<Version, "id" | "image">): string {
  return v.image.endsWith(`@sha256:${v.id}`) ? v.image : `sha256:${v.id}`;
}

export function parseModelName(full: string): { owner: string; name: string } {
  const m = /^([^/]+)\/([^/:]+)$/.exec(full);
  if (!m || !MODEL_PART.test(m[1]) || !MODEL_PART.test(m[2]))
    throw invalidInput(`"${full}" is not a valid model name: use owner/name with lowercase letters, digits, '.', '_' or '-'`, [
      { field: "name", rule: "pattern", message: "must look like owner/name" },
    ]);
  return { owner: m[1], name: m[2] };
}

/** The models a non-admin account (the bound parameter: its name) may see: public ones and its own. */
const VISIBLE_TO = "(m.visibility = 'public' OR m.owner = ?)";

/** Freezes a parsed JSON value all the way down: cached values are shared, so nobody may edit one. */
function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object" && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/**
 * A version's columns without its schema and config (~6 KB of JSON text): lists read the latest
 * version of every model on every request, and copying that text out of SQLite each time was most
 * of a 100-model page's time. The labels never change; toVersion reads them once per version.
 */
const LIGHT_VERSION_COLUMNS = "v.id, v.model_id, v.image, v.cog_version, v.created_at, v.setup_error, v.setup_logs";

export class Catalog {
  /**
   * Parsed schema and config by version id. A version is an image digest, so its labels never
   * change: parsing them once saves a JSON.parse of every schema on every model list (100 models a
   * page, ~6 KB each).
   */
  private parsed = new Map<string, { openapiSchema: Record<string, unknown>; config: CogConfig }>();

  /**
   * Bumped whenever a model or version goes away or a version is added: callers that cache lookups
   * (predictions/run-specs.ts) compare it and drop what they hold, so a deleted model takes no
   * prediction even within their cache's lifetime.
   */
  revision = 0;

  constructor(private db: Db) {}

  /** A row may leave out the two label columns (LIGHT_VERSION_COLUMNS): they are read here once per version. */
  private toVersion(row: Omit<VersionRow, "openapi_schema" | "cog_config"> & Partial<VersionRow> & { owner: string; name: string }): Version {
    let labels = this.parsed.get(row.id);
    if (!labels) {
      const text =
        row.openapi_schema !== undefined && row.cog_config !== undefined
          ? { openapi_schema: row.openapi_schema, cog_config: row.cog_config }
          : (this.db.query("SELECT openapi_schema, cog_config FROM versions WHERE id = ?").get(row.id) as Pick<VersionRow, "openapi_schema" | "cog_config">);
      labels = deepFreeze({ openapiSchema: JSON.parse(text.openapi_schema), config: JSON.parse(text.cog_config) });
      this.parsed.set(row.id, labels);
    }
    return {
      id: row.id,
      modelId: row.model_id,
      model: `${row.owner}/${row.name}`,
      image: row.image,
      cogVersion: row.cog_version,
      openapiSchema: labels.openapiSchema,
      config: labels.config,
      createdAt: row.created_at,
      setupError: row.setup_error,
      setupLogs: row.setup_logs,
    };
  }

  createModel(owner: string, name: string, fields: ModelFields = {}): ModelRow {
    parseModelName(`${owner}/${name}`);
    if (this.findModel(owner, name)) throw conflict(`Model ${owner}/${name} already exists`);
    this.db
      .query(
        `INSERT INTO models (owner, name, created_at, ${EDITABLE.join(", ")}) VALUES (?, ?, ?, ${EDITABLE.map(() => "?").join(", ")})`,
      )
      .run(owner, name, new Date().toISOString(), ...EDITABLE.map((k) => fields[k] ?? REQUIRED[k] ?? null));
    return this.findModel(owner, name)!;
  }

  updateModel(owner: string, name: string, fields: ModelFields): ModelRow {
    const m = this.getModel(owner, name);
    const keys = EDITABLE.filter((k) => fields[k] !== undefined && !(k in REQUIRED && fields[k] === null));
    if (keys.length) this.db.query(`UPDATE models SET ${keys.map((k) => `${k} = ?`).join(", ")} WHERE id = ?`).run(...keys.map((k) => fields[k] ?? null), m.id);
    return this.getModel(owner, name);
  }

  findModel(owner: string, name: string): ModelRow | null {
    return this.db.query("SELECT * FROM models WHERE owner = ? AND name = ?").get(owner, name) as ModelRow | null;
  }

  getModel(owner: string, name: string): ModelRow {
    const m = this.findModel(owner, name);
    if (!m) throw notFound(`Model ${owner}/${name} not found`);
    return m;
  }

  /**
   * One page of models ordered by (sort key, id), newest first unless `direction` is "asc".
   * `after` is the cursor of the previous page's last row; `search` matches owner/name, description
   * and readme (case-insensitive substring); `owner` keeps one owner's models.
   */
  listModels(
    limit: number,
    opts: { after?: ModelCursor; search?: string; owner?: string; sort?: ModelSort; direction?: "asc" | "desc"; viewer?: string } = {},
  ): (ModelRow & { sort_key: string })[] {
    const key = SORT_KEY[opts.sort ?? "model_created_at"];
    const dir = opts.direction === "asc" ? "ASC" : "DESC";
    const cmp = dir === "ASC" ? ">" : "<";
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (opts.after) {
      where.push(`(${key} ${cmp} ? OR (${key} = ? AND m.id ${cmp} ?))`);
      args.push(opts.after.key, opts.after.key, opts.after.id);
    }
    if (opts.search) {
      const pat = `%${opts.search.replace(/[\\%_]/g, (c) => "\\" + c)}%`;
      where.push("(m.owner || '/' || m.name LIKE ? ESCAPE '\\' OR m.description LIKE ? ESCAPE '\\' OR m.readme LIKE ? ESCAPE '\\')");
      args.push(pat, pat, pat);
    }
    if (opts.owner !== undefined) {
      where.push("m.owner = ?");
      args.push(opts.owner);
    }
    if (opts.viewer !== undefined) {
      where.push(VISIBLE_TO);
      args.push(opts.viewer);
    }
    const sql = `SELECT m.*, ${key} AS sort_key FROM models m ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY sort_key ${dir}, m.id ${dir} LIMIT ?`;
    return this.db.query(sql).all(...args, limit) as (ModelRow & { sort_key: string })[];
  }

  /** Owners with their model counts, alphabetically, after `after` (exclusive). */
  listOwners(limit: number, after?: string, viewer?: string): { owner: string; models: number }[] {
    const where = [...(after !== undefined ? ["owner > ?"] : []), ...(viewer !== undefined ? [VISIBLE_TO.replaceAll("m.", "")] : [])];
    const args = [...(after !== undefined ? [after] : []), ...(viewer !== undefined ? [viewer] : [])];
    return this.db
      .query(`SELECT owner, COUNT(*) AS models FROM models ${where.length ? "WHERE " + where.join(" AND ") : ""} GROUP BY owner ORDER BY owner LIMIT ?`)
      .all(...args, limit) as { owner: string; models: number }[];
  }

  /** `viewer`: count only the models that account may see (public ones and its own). */
  countModels(owner?: string, viewer?: string): number {
    const where = [...(owner !== undefined ? ["owner = ?"] : []), ...(viewer !== undefined ? [VISIBLE_TO.replaceAll("m.", "")] : [])];
    const args = [...(owner !== undefined ? [owner] : []), ...(viewer !== undefined ? [viewer] : [])];
    const r = this.db.query(`SELECT COUNT(*) AS n FROM models ${where.length ? "WHERE " + where.join(" AND ") : ""}`).get(...args) as { n: number };
    return r.n;
  }

  deleteModel(owner: string, name: string): void {
    const m = this.getModel(owner, name);
    this.db.query("DELETE FROM models WHERE id = ?").run(m.id);
    this.revision++;
  }

  /** Adds a version (an image digest) to a model, creating the model when it does not exist. */
  addVersion(
    fullName: string,
    v: { id: string; image: string; cogVersion: string; openapiSchema: Record<string, unknown>; config: CogConfig },
  ): { version: Version; created: boolean } {
    const { owner, name } = parseModelName(fullName);
    this.revision++; // "owner/name" may now mean a newer version
    return this.db.transaction(() => {
      const model = this.findModel(owner, name) ?? this.createModel(owner, name);
      const existing = this.findVersion(v.id);
      if (existing) {
        if (existing.modelId !== model.id)
          throw conflict(`Image ${v.image} (version ${v.id.slice(0, 12)}) is already in the catalog as ${existing.model}`);
        // Re-importing is how a user retries a failed setup: forget the remembered failure.
        this.db.query("UPDATE versions SET image = ?, setup_error = NULL, setup_logs = NULL WHERE id = ?").run(v.image, v.id);
        return { version: this.findVersion(v.id)!, created: false };
      }
      this.db
        .query(
          "INSERT INTO versions (id, model_id, image, cog_version, openapi_schema, cog_config, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .run(v.id, model.id, v.image, v.cogVersion, JSON.stringify(v.openapiSchema), JSON.stringify(v.config), new Date().toISOString());
      return { version: this.findVersion(v.id)!, created: true };
    })();
  }

  findVersion(id: string): Version | null {
    const row = this.db
      .query("SELECT v.*, m.owner, m.name FROM versions v JOIN models m ON m.id = v.model_id WHERE v.id = ?")
      .get(id) as (VersionRow & { owner: string; name: string }) | null;
    return row ? this.toVersion(row) : null;
  }

  getVersion(id: string): Version {
    const v = this.findVersion(id);
    if (!v) throw notFound(`Version ${id} not found`);
    return v;
  }

  listVersions(modelId: number): Version[] {
    const rows = this.db
      .query("SELECT v.*, m.owner, m.name FROM versions v JOIN models m ON m.id = v.model_id WHERE v.model_id = ? ORDER BY v.created_at DESC, v.rowid DESC")
      .all(modelId) as (VersionRow & { owner: string; name: string })[];
    return rows.map((r) => this.toVersion(r));
  }

  /** One page of a model's versions, newest first; `after` is the previous page's last (created_at, rowid). */
  listVersionsPage(modelId: number, limit: number, after?: { createdAt: string; rowid: number }): (Version & { rowid: number })[] {
    const rows = this.db
      .query(
        `SELECT v.*, v.rowid AS rowid, m.owner, m.name FROM versions v JOIN models m ON m.id = v.model_id WHERE v.model_id = ?
         ${after ? "AND (v.created_at < ? OR (v.created_at = ? AND v.rowid < ?))" : ""} ORDER BY v.created_at DESC, v.rowid DESC LIMIT ?`,
      )
      .all(...(after ? [modelId, after.createdAt, after.createdAt, after.rowid, limit] : [modelId, limit])) as (VersionRow & {
      owner: string;
      name: string;
      rowid: number;
    })[];
    return rows.map((r) => ({ ...this.toVersion(r), rowid: r.rowid }));
  }

  /**
   * The latest version of each of these models in one query (a page of models: one query instead of
   * one per model); models without a version are absent.
   */
  latestVersions(modelIds: readonly number[]): Map<number, Version> {
    const rows = this.db
      .query(
        `SELECT * FROM (SELECT ${LIGHT_VERSION_COLUMNS}, m.owner, m.name, ROW_NUMBER() OVER (PARTITION BY v.model_id ORDER BY v.created_at DESC, v.rowid DESC) AS rn
           FROM versions v JOIN models m ON m.id = v.model_id WHERE v.model_id IN (SELECT value FROM json_each(?))) WHERE rn = 1`,
      )
      .all(JSON.stringify(modelIds)) as (Omit<VersionRow, "openapi_schema" | "cog_config"> & { owner: string; name: string })[];
    return new Map(rows.map((r) => [r.model_id, this.toVersion(r)]));
  }

  /** Reads one row, not the whole history: model lists call it once per model. */
  latestVersion(modelId: number): Version | null {
    const row = this.db
      .query(`SELECT ${LIGHT_VERSION_COLUMNS}, m.owner, m.name FROM versions v JOIN models m ON m.id = v.model_id WHERE v.model_id = ? ORDER BY v.created_at DESC, v.rowid DESC LIMIT 1`)
      .get(modelId) as (Omit<VersionRow, "openapi_schema" | "cog_config"> & { owner: string; name: string }) | null;
    return row ? this.toVersion(row) : null;
  }

  deleteVersion(id: string): void {
    this.db.query("DELETE FROM versions WHERE id = ?").run(id);
    this.parsed.delete(id);
    this.revision++;
  }

  setSetupFailure(id: string, error: string, logs: string): void {
    this.db.query("UPDATE versions SET setup_error = ?, setup_logs = ? WHERE id = ?").run(error, logs, id);
  }

  clearSetupFailure(id: string): void {
    this.db.query("UPDATE versions SET setup_error = NULL, setup_logs = NULL WHERE id = ?").run(id);
  }

  /** Resolves "id", "owner/name" or "owner/name:id" to a version. */
  resolveVersionRef(ref: string): Version {
    const m = /^([^/:]+)\/([^/:]+)(?::(.+))?$/.exec(ref);
    if (!m) return this.getVersion(ref);
    const model = this.getModel(m[1], m[2]);
    if (m[3]) {
      const v = this.getVersion(m[3]);
      if (v.modelId !== model.id) throw notFound(`Version ${m[3]} not found for model ${m[1]}/${m[2]}`);
      return v;
    }
    const latest = this.latestVersion(model.id);
    if (!latest) throw notFound(`Model ${m[1]}/${m[2]} has no versions yet; add one with \`modelhub models add IMAGE --name ${m[1]}/${m[2]}\``);
    return latest;
  }
}
