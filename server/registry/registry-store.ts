// Every SQL statement of the registry: repository links of blobs and manifests, manifest rows and
// their references, tags, and the registry side of catalog versions (import state).
import type { Db } from "../db/database.ts";

export interface ManifestRow {
  digest: string;
  media_type: string;
  size: number;
  created_at: string;
}

export type ImportStatus = "importing" | "ready" | "failed";

export interface RegistryVersionRow {
  version_id: string;
  repo: string;
  manifest_digest: string;
  pushed_digest: string;
  status: ImportStatus;
  progress: string | null;
  error: string | null;
  updated_at: string;
}

const now = () => new Date().toISOString();

export class RegistryStore {
  constructor(private db: Db) {}

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  linkBlob(repo: string, digest: string, size: number): void {
    this.db.query("INSERT OR IGNORE INTO registry_repo_blobs (repo, digest, size, created_at) VALUES (?, ?, ?, ?)").run(repo, digest, size, now());
  }

  repoHasBlob(repo: string, digest: string): boolean {
    return !!this.db.query("SELECT 1 FROM registry_repo_blobs WHERE repo = ? AND digest = ?").get(repo, digest);
  }

  repoExists(repo: string): boolean {
    return !!(
      this.db.query("SELECT 1 FROM registry_repo_manifests WHERE repo = ? LIMIT 1").get(repo) ??
      this.db.query("SELECT 1 FROM registry_repo_blobs WHERE repo = ? LIMIT 1").get(repo)
    );
  }

  putManifest(repo: string, digest: string, mediaType: string, size: number, refs: readonly string[]): void {
    this.db.query("INSERT OR IGNORE INTO registry_manifests (digest, media_type, size, created_at) VALUES (?, ?, ?, ?)").run(digest, mediaType, size, now());
    for (const r of refs) this.db.query("INSERT OR IGNORE INTO registry_manifest_refs (manifest, ref) VALUES (?, ?)").run(digest, r);
    this.db.query("INSERT OR IGNORE INTO registry_repo_manifests (repo, digest, created_at) VALUES (?, ?, ?)").run(repo, digest, now());
  }

  /** The manifest when `repo` holds it. */
  manifestIn(repo: string, digest: string): ManifestRow | null {
    return this.db
      .query("SELECT m.* FROM registry_manifests m JOIN registry_repo_manifests r ON r.digest = m.digest WHERE r.repo = ? AND m.digest = ?")
      .get(repo, digest) as ManifestRow | null;
  }

  setTag(repo: string, tag: string, digest: string): void {
    this.db
      .query("INSERT INTO registry_tags (repo, tag, digest, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (repo, tag) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at")
      .run(repo, tag, digest, now());
  }

  tag(repo: string, tag: string): string | null {
    return (this.db.query("SELECT digest FROM registry_tags WHERE repo = ? AND tag = ?").get(repo, tag) as { digest: string } | null)?.digest ?? null;
  }

  tags(repo: string, limit: number, after?: string): string[] {
    const rows = (after === undefined
      ? this.db.query("SELECT tag FROM registry_tags WHERE repo = ? ORDER BY tag LIMIT ?").all(repo, limit)
      : this.db.query("SELECT tag FROM registry_tags WHERE repo = ? AND tag > ? ORDER BY tag LIMIT ?").all(repo, after, limit)) as { tag: string }[];
    return rows.map((r) => r.tag);
  }

  deleteTagsTo(repo: string, digests: readonly string[]): void {
    for (const d of digests) this.db.query("DELETE FROM registry_tags WHERE repo = ? AND digest = ?").run(repo, d);
  }

  // --- the registry side of catalog versions ---

  upsertVersion(v: Omit<RegistryVersionRow, "updated_at" | "progress" | "error">): void {
    this.db
      .query(
        `INSERT INTO registry_versions (version_id, repo, manifest_digest, pushed_digest, status, progress, error, updated_at) VALUES (?, ?, ?, ?, ?, NULL, NULL, ?)
         ON CONFLICT (version_id) DO UPDATE SET pushed_digest = excluded.pushed_digest, updated_at = excluded.updated_at`,
      )
      .run(v.version_id, v.repo, v.manifest_digest, v.pushed_digest, v.status, now());
  }

  version(versionId: string): RegistryVersionRow | null {
    return this.db.query("SELECT * FROM registry_versions WHERE version_id = ?").get(versionId) as RegistryVersionRow | null;
  }

  /** The version a pushed digest (an index, or the manifest itself) became. */
  versionByPushedDigest(hex: string): RegistryVersionRow | null {
    return this.db.query("SELECT * FROM registry_versions WHERE pushed_digest = ? ORDER BY updated_at DESC LIMIT 1").get(`sha256:${hex}`) as RegistryVersionRow | null;
  }

  setImportState(versionId: string, status: ImportStatus, progress: string | null, error: string | null): void {
    this.db.query("UPDATE registry_versions SET status = ?, progress = ?, error = ?, updated_at = ? WHERE version_id = ?").run(status, progress, error, now(), versionId);
  }

  versionsByStatus(status: ImportStatus): RegistryVersionRow[] {
    return this.db.query("SELECT * FROM registry_versions WHERE status = ?").all(status) as RegistryVersionRow[];
  }

  /** Registry versions whose catalog version was deleted. */
  orphanedVersions(): RegistryVersionRow[] {
    return this.db.query("SELECT r.* FROM registry_versions r LEFT JOIN versions v ON v.id = r.version_id WHERE v.id IS NULL").all() as RegistryVersionRow[];
  }

  dropVersion(versionId: string): void {
    this.db.query("DELETE FROM registry_versions WHERE version_id = ?").run(versionId);
  }

  // --- collection ---

  /**
   * Digests reachable from a tag or a live version, following manifest references (index → child →
   * config and layers). Everything else is garbage once older than the grace period.
   */
  reachable(): Set<string> {
    const roots = this.db
      .query("SELECT digest FROM registry_tags UNION SELECT manifest_digest FROM registry_versions UNION SELECT pushed_digest FROM registry_versions")
      .all() as { digest: string }[];
    const seen = new Set<string>();
    const stack = roots.map((r) => r.digest);
    const refs = this.db.query("SELECT ref FROM registry_manifest_refs WHERE manifest = ?");
    while (stack.length) {
      const d = stack.pop()!;
      if (seen.has(d)) continue;
      seen.add(d);
      for (const r of refs.all(d) as { ref: string }[]) stack.push(r.ref);
    }
    return seen;
  }

  /** Forgets a collected digest everywhere. */
  forget(digest: string): void {
    this.db.query("DELETE FROM registry_repo_blobs WHERE digest = ?").run(digest);
    this.db.query("DELETE FROM registry_repo_manifests WHERE digest = ?").run(digest);
    this.db.query("DELETE FROM registry_manifest_refs WHERE manifest = ?").run(digest);
    this.db.query("DELETE FROM registry_manifests WHERE digest = ?").run(digest);
  }
}
