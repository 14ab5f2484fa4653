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
  created_at: string;
}

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

export function parseModelName(full: string): { owner: string; name: string } {
  const m = /^([^/]+)\/([^/:]+)$/.exec(full);
  if (!m || !MODEL_PART.test(m[1]) || !MODEL_PART.test(m[2]))
    throw invalidInput(`"${full}" is not a valid model name: use owner/name with lowercase letters, digits, '.', '_' or '-'`, [
      { field: "name", rule: "pattern", message: "must look like owner/name" },
    ]);
  return { owner: m[1], name: m[2] };
}

export class Catalog {
  constructor(private db: Db) {}

  private toVersion(row: VersionRow & { owner: string; name: string }): Version {
    return {
      id: row.id,
      modelId: row.model_id,
      model: `${row.owner}/${row.name}`,
      image: row.image,
      cogVersion: row.cog_version,
      openapiSchema: JSON.parse(row.openapi_schema),
      config: JSON.parse(row.cog_config),
      createdAt: row.created_at,
      setupError: row.setup_error,
      setupLogs: row.setup_logs,
    };
  }

  createModel(owner: string, name: string, fields: { description?: string | null; visibility?: "public" | "private" } = {}): ModelRow {
    parseModelName(`${owner}/${name}`);
    if (this.findModel(owner, name)) throw conflict(`Model ${owner}/${name} already exists`);
    this.db
      .query("INSERT INTO models (owner, name, description, visibility, created_at) VALUES (?, ?, ?, ?, ?)")
      .run(owner, name, fields.description ?? null, fields.visibility ?? "public", new Date().toISOString());
    return this.findModel(owner, name)!;
  }

  updateModel(owner: string, name: string, fields: { description?: string | null; visibility?: "public" | "private" }): ModelRow {
    const m = this.getModel(owner, name);
    this.db
      .query("UPDATE models SET description = ?, visibility = ? WHERE id = ?")
      .run(fields.description !== undefined ? fields.description : m.description, fields.visibility ?? m.visibility, m.id);
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

  /** Newest first by (created_at, id); `after` is the last row of the previous page. */
  listModels(limit: number, after?: { createdAt: string; id: number }, search?: string): ModelRow[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (after) {
      where.push("(created_at < ? OR (created_at = ? AND id < ?))");
      args.push(after.createdAt, after.createdAt, after.id);
    }
    if (search) {
      where.push("(owner || '/' || name LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\')");
      const pat = `%${search.replace(/[\\%_]/g, (c) => "\\" + c)}%`;
      args.push(pat, pat);
    }
    const sql = `SELECT * FROM models ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY created_at DESC, id DESC LIMIT ?`;
    return this.db.query(sql).all(...args, limit) as ModelRow[];
  }

  deleteModel(owner: string, name: string): void {
    const m = this.getModel(owner, name);
    this.db.query("DELETE FROM models WHERE id = ?").run(m.id);
  }

  /** Adds a version (an image digest) to a model, creating the model when it does not exist. */
  addVersion(
    fullName: string,
    v: { id: string; image: string; cogVersion: string; openapiSchema: Record<string, unknown>; config: CogConfig },
  ): { version: Version; created: boolean } {
    const { owner, name } = parseModelName(fullName);
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

  latestVersion(modelId: number): Version | null {
    return this.listVersions(modelId)[0] ?? null;
  }

  deleteVersion(id: string): void {
    this.db.query("DELETE FROM versions WHERE id = ?").run(id);
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
