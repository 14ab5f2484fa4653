import { Database } from "bun:sqlite";
import { describe, expect, it } from "bun:test";
import { join } from "node:path";
import { openDatabase } from "../../server/db/database.ts";
import { MIGRATIONS, migrate } from "../../server/db/migrations.ts";
import { tempDir } from "../helpers/temp-dir.ts";

describe("database", () => {
  it("opens a real file with WAL and foreign keys, and records every migration", () => {
    using dir = tempDir();
    const db = openDatabase(join(dir.path, "sub", "modelhub.db"));
    expect((db.query("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode).toBe("wal");
    expect((db.query("PRAGMA foreign_keys").get() as { foreign_keys: number }).foreign_keys).toBe(1);
    const versions = (db.query("SELECT version FROM schema_version ORDER BY version").all() as { version: number }[]).map((r) => r.version);
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
    db.close();
  });

  it("is idempotent: migrating again applies nothing and keeps data", () => {
    using dir = tempDir();
    const path = join(dir.path, "m.db");
    const db = openDatabase(path);
    db.query("INSERT INTO models (owner, name, created_at) VALUES ('a', 'b', 'now')").run();
    db.close();
    const again = openDatabase(path);
    expect(again.query("SELECT COUNT(*) AS n FROM models").get()).toEqual({ n: 1 });
    expect(again.query("SELECT COUNT(*) AS n FROM schema_version").get()).toEqual({ n: MIGRATIONS.length });
    again.close();
  });

  it("enforces foreign keys: deleting a model deletes its versions", () => {
    const db = openDatabase(":memory:");
    db.query("INSERT INTO models (id, owner, name, created_at) VALUES (1, 'a', 'b', 'now')").run();
    db.query("INSERT INTO versions (id, model_id, image, cog_version, openapi_schema, cog_config, created_at) VALUES ('v', 1, 'i', '0.13.6', '{}', '{}', 'now')").run();
    expect(() => db.query("INSERT INTO versions (id, model_id, image, cog_version, openapi_schema, cog_config, created_at) VALUES ('w', 99, 'i', '0', '{}', '{}', 'now')").run()).toThrow(/FOREIGN KEY/);
    db.query("DELETE FROM models WHERE id = 1").run();
    expect(db.query("SELECT COUNT(*) AS n FROM versions").get()).toEqual({ n: 0 });
  });

  it("refuses a database from a newer modelhub instead of corrupting it", () => {
    const db = new Database(":memory:");
    migrate(db);
    db.query("INSERT INTO schema_version VALUES (999, 'future', 'now')").run();
    expect(() => migrate(db)).toThrow(/newer than this modelhub understands/);
  });
});
