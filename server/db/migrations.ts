// Numbered schema migrations. Append only: a released migration is never edited.
import type { Database } from "bun:sqlite";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "catalog and predictions",
    sql: `
      CREATE TABLE models (
        id INTEGER PRIMARY KEY,
        owner TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT,
        visibility TEXT NOT NULL DEFAULT 'public' CHECK (visibility IN ('public','private')),
        created_at TEXT NOT NULL,
        UNIQUE (owner, name)
      );
      CREATE TABLE versions (
        id TEXT PRIMARY KEY,               -- image content digest, 64 hex
        model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        image TEXT NOT NULL,               -- reference the user imported (tag or digest)
        cog_version TEXT NOT NULL,
        openapi_schema TEXT NOT NULL,      -- JSON
        cog_config TEXT NOT NULL,          -- JSON of run.cog.config
        created_at TEXT NOT NULL,
        setup_error TEXT,                  -- remembered setup failure, cleared on retry
        setup_logs TEXT
      );
      CREATE INDEX versions_model ON versions(model_id, created_at);
      CREATE TABLE predictions (
        id TEXT PRIMARY KEY,
        model TEXT NOT NULL,               -- owner/name at creation time
        version_id TEXT NOT NULL,
        input TEXT NOT NULL,               -- JSON
        output TEXT,                       -- JSON
        logs TEXT NOT NULL DEFAULT '',
        error TEXT,
        status TEXT NOT NULL CHECK (status IN ('starting','processing','succeeded','failed','canceled')),
        source TEXT NOT NULL DEFAULT 'api',
        created_at TEXT NOT NULL,
        started_at TEXT,
        completed_at TEXT,
        metrics TEXT NOT NULL DEFAULT '{}',
        webhook TEXT,
        webhook_events_filter TEXT,
        deployment TEXT,
        deadline TEXT,
        instance_id TEXT,                  -- container that ran it, for recovery after a restart
        stream_token TEXT NOT NULL
      );
      CREATE INDEX predictions_created ON predictions(created_at DESC, id DESC);
      CREATE INDEX predictions_status ON predictions(status) WHERE status IN ('starting','processing');
    `,
  },
  {
    version: 2,
    name: "model policies, deployments, version stats",
    sql: `
      -- Per-model run policy; NULL means "use the default" (the image's run.cog.config, then config).
      CREATE TABLE model_policies (
        model_id INTEGER PRIMARY KEY REFERENCES models(id) ON DELETE CASCADE,
        gpus INTEGER,
        pinned_gpus TEXT,                  -- JSON array of GPU indices
        idle_timeout REAL,                 -- seconds; -1 = never
        min_instances INTEGER,
        max_instances INTEGER,
        concurrency INTEGER,
        max_queue INTEGER,
        setup_timeout REAL,                -- seconds
        updated_at TEXT NOT NULL
      );
      CREATE TABLE deployments (
        id INTEGER PRIMARY KEY,
        owner TEXT NOT NULL,
        name TEXT NOT NULL,
        model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        version_id TEXT NOT NULL,          -- no FK: deleting a version must not silently delete a deployment
        hardware TEXT NOT NULL,            -- a SKU from GET /v1/hardware
        min_instances INTEGER NOT NULL,
        max_instances INTEGER NOT NULL,
        release_number INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        release_created_at TEXT NOT NULL,
        UNIQUE (owner, name)
      );
      -- Measured per version: boot time, predict time, peak memory; kept across restarts for estimates.
      CREATE TABLE version_stats (
        version_id TEXT PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
        boots INTEGER NOT NULL DEFAULT 0,
        boot_ms_total REAL NOT NULL DEFAULT 0,
        last_boot_ms REAL,
        predictions INTEGER NOT NULL DEFAULT 0,
        predict_ms_total REAL NOT NULL DEFAULT 0,
        peak_memory_bytes INTEGER,
        peak_gpu_memory_mib INTEGER,
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: "files, webhook secret, prediction origin",
    sql: `
      CREATE TABLE files (
        id TEXT PRIMARY KEY,
        token TEXT NOT NULL UNIQUE,        -- capability in the no-auth download URL
        kind TEXT NOT NULL CHECK (kind IN ('upload','output')),
        name TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        md5 TEXT NOT NULL,
        metadata TEXT NOT NULL DEFAULT '{}', -- JSON
        prediction_id TEXT,                -- output files: the prediction that made them
        created_at TEXT NOT NULL,
        expires_at TEXT
      );
      CREATE INDEX files_kind_created ON files(kind, created_at DESC, id DESC);
      CREATE INDEX files_prediction ON files(prediction_id) WHERE prediction_id IS NOT NULL;
      CREATE TABLE webhook_secrets (
        name TEXT PRIMARY KEY,             -- 'default'
        key TEXT NOT NULL,                 -- whsec_<base64>
        created_at TEXT NOT NULL
      );
      ALTER TABLE predictions ADD COLUMN origin TEXT;
      ALTER TABLE predictions ADD COLUMN file_output INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX predictions_stream_token ON predictions(stream_token);
    `,
  },
  {
    version: 4,
    name: "model links and readme, run counts by model",
    sql: `
      ALTER TABLE models ADD COLUMN github_url TEXT;
      ALTER TABLE models ADD COLUMN paper_url TEXT;
      ALTER TABLE models ADD COLUMN license_url TEXT;
      ALTER TABLE models ADD COLUMN cover_image_url TEXT;
      ALTER TABLE models ADD COLUMN readme TEXT;          -- markdown, served by GET /v1/models/{o}/{n}/readme
      -- run_count on every model in a list, and a model's runs newest first, without a table scan.
      CREATE INDEX IF NOT EXISTS predictions_model_created ON predictions(model, created_at DESC);
    `,
  },
  {
    version: 5,
    name: "container callbacks that survive a restart",
    sql: `
      -- A container keeps running an async prediction after modelhub dies and then posts its answer to
      -- the callback listener: the port, the webhook tokens and the upload tokens must outlive the process.
      CREATE TABLE callback_settings (
        key TEXT PRIMARY KEY,              -- 'listener_port'
        value TEXT NOT NULL
      );
      CREATE TABLE callback_upload_tokens (
        version_id TEXT PRIMARY KEY,
        token TEXT NOT NULL UNIQUE
      );
      CREATE TABLE callback_webhooks (
        prediction_id TEXT PRIMARY KEY,    -- an async prediction in flight; deleted when it ends
        token TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 6,
    name: "run counts kept per model",
    sql: `
      -- run_count is on every model of every list: counting a model's predictions each time is a scan
      -- of its index entries (100 models x 1,000 runs: ~100 ms). Triggers keep one row per model exact
      -- through inserts, retention and deletes, whoever writes.
      CREATE TABLE model_run_counts (
        model TEXT PRIMARY KEY,            -- owner/name, as predictions.model
        n INTEGER NOT NULL
      );
      INSERT INTO model_run_counts (model, n) SELECT model, COUNT(*) FROM predictions GROUP BY model;
      CREATE TRIGGER predictions_count_insert AFTER INSERT ON predictions BEGIN
        INSERT INTO model_run_counts (model, n) VALUES (NEW.model, 1) ON CONFLICT(model) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER predictions_count_delete AFTER DELETE ON predictions BEGIN
        UPDATE model_run_counts SET n = n - 1 WHERE model = OLD.model;
      END;
      CREATE TRIGGER predictions_count_move AFTER UPDATE OF model ON predictions WHEN OLD.model IS NOT NEW.model BEGIN
        UPDATE model_run_counts SET n = n - 1 WHERE model = OLD.model;
        INSERT INTO model_run_counts (model, n) VALUES (NEW.model, 1) ON CONFLICT(model) DO UPDATE SET n = n + 1;
      END;
    `,
  },
  {
    version: 7,
    name: "registry: manifests, tags, repository links, pushed versions",
    sql: `
      -- Blob bytes live under <data-dir>/registry/blobs; these rows say which repository may see which
      -- blob (mounts and HEADs are per repository) and what references what (for collection).
      CREATE TABLE registry_repo_blobs (
        repo TEXT NOT NULL,
        digest TEXT NOT NULL,
        size INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (repo, digest)
      );
      CREATE INDEX registry_repo_blobs_digest ON registry_repo_blobs(digest);
      CREATE TABLE registry_manifests (
        digest TEXT PRIMARY KEY,           -- sha256 of the exact bytes received (kept in the blob store)
        media_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE registry_manifest_refs (
        manifest TEXT NOT NULL,            -- a manifest digest
        ref TEXT NOT NULL,                 -- a blob or child manifest it names
        PRIMARY KEY (manifest, ref)
      );
      CREATE TABLE registry_repo_manifests (
        repo TEXT NOT NULL,
        digest TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (repo, digest)
      );
      CREATE TABLE registry_tags (
        repo TEXT NOT NULL,
        tag TEXT NOT NULL,
        digest TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (repo, tag)
      );
      -- A catalog version that came from a push (or was exported for pulls): its registry side and
      -- the state of getting its image into the engine. No foreign key: collection notices versions
      -- deleted from the catalog and drops their tags and blobs.
      CREATE TABLE registry_versions (
        version_id TEXT PRIMARY KEY,
        repo TEXT NOT NULL,
        manifest_digest TEXT NOT NULL,     -- the platform image manifest (the version id)
        pushed_digest TEXT NOT NULL,       -- what the client pushed (an index, or the manifest itself)
        status TEXT NOT NULL CHECK (status IN ('importing','ready','failed')),
        progress TEXT,
        error TEXT,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX registry_versions_pushed ON registry_versions(pushed_digest);
    `,
  },
  {
    version: 8,
    name: "API tokens, and who created each prediction and upload",
    sql: `
      CREATE TABLE tokens (
        id TEXT PRIMARY KEY,               -- tok_…, safe to show and log
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('admin','user')),
        hash TEXT NOT NULL UNIQUE,         -- SHA-256 of the token, hex: the token itself is never stored
        created_at TEXT NOT NULL,
        last_used_at TEXT
      );
      -- The token that created it (tokens.id; 'local' when auth is off); NULL for rows made before tokens.
      ALTER TABLE predictions ADD COLUMN created_by TEXT;
      CREATE INDEX predictions_created_by ON predictions(created_by, created_at DESC);
      ALTER TABLE files ADD COLUMN created_by TEXT;
    `,
  },
  {
    version: 9,
    name: "container limits in the run policy; who sees a model's predictions",
    sql: `
      -- Container limits per model; NULL = the server's --container-memory/-cpus/-pids, 0 = no limit.
      ALTER TABLE model_policies ADD COLUMN memory INTEGER;   -- bytes
      ALTER TABLE model_policies ADD COLUMN cpus REAL;
      ALTER TABLE model_policies ADD COLUMN pids INTEGER;
      -- 'owner': a prediction is seen by the token that made it (and admins); 'public': by anyone who may see the model.
      ALTER TABLE models ADD COLUMN predictions_visibility TEXT NOT NULL DEFAULT 'owner' CHECK (predictions_visibility IN ('owner','public'));
    `,
  },
  {
    version: 10,
    name: "nodes: other machines' Docker engines models may run on",
    sql: `
      -- The engine beside modelhub is the node "local" and has no row.
      CREATE TABLE nodes (
        name TEXT PRIMARY KEY,
        engine TEXT NOT NULL,              -- tcp://host:2376 (mTLS)
        tls_ca TEXT NOT NULL,              -- file paths, read when connecting (the key stays a file of its own)
        tls_cert TEXT NOT NULL,
        tls_key TEXT NOT NULL,
        labels TEXT NOT NULL DEFAULT '{}', -- JSON object of strings
        fake_gpus INTEGER NOT NULL DEFAULT 0, -- simulated GPUs (tests; containers get no device request)
        drained INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        last_seen_at TEXT
      );
      -- Pinning a model to a node, or to nodes with labels; NULL = anywhere.
      ALTER TABLE model_policies ADD COLUMN node TEXT;
      ALTER TABLE model_policies ADD COLUMN node_labels TEXT;  -- JSON object of strings
    `,
  },
];

export function migrate(db: Database): number {
  db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
  const row = db.query("SELECT MAX(version) AS v FROM schema_version").get() as { v: number | null };
  const current = row.v ?? 0;
  const latest = MIGRATIONS[MIGRATIONS.length - 1].version;
  if (current > latest)
    throw new Error(`database schema version ${current} is newer than this modelhub understands (${latest}); upgrade modelhub`);
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.query("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)").run(m.version, m.name, new Date().toISOString());
    })();
  }
  return latest;
}
