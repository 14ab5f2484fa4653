// The registry as a plain service: blobs, upload sessions, manifests and tags, with the push→version
// hook on manifest PUT by tag. The HTTP module (server/http/v2/) only translates requests to these calls.
import { readFileSync } from "node:fs";
import { type Catalog, engineImageRef } from "../catalog/catalog.ts";
import type { Logger } from "../log.ts";
import type { BlobFiles } from "./blob-files.ts";
import { blobUnknown, DistributionError, digestInvalid, manifestUnknown, nameInvalid, nameUnknown } from "./distribution-errors.ts";
import { exportImage, type ImageExporter } from "./engine-export.ts";
import type { EngineImports } from "./engine-import.ts";
import { OCI_MANIFEST, parseManifest, requiredBlobs } from "./manifest-rules.ts";
import { recordVersion, runnableImage } from "./push-version.ts";
import { isRepositoryName, isSha256Digest, isTag, looksLikeDigest } from "./reference.ts";
import type { RegistryStore } from "./registry-store.ts";
import type { UploadSession, UploadSessions } from "./upload-sessions.ts";

/** Manifests are small; 4 MiB is what distribution accepts and far more than any real one. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface RegistryDeps {
  catalog: Catalog;
  store: RegistryStore;
  files: BlobFiles;
  uploads: UploadSessions;
  /** null until modelhub listens (and in tests without an engine): pushes then make versions that are not pulled */
  imports: () => EngineImports | null;
  /** "127.0.0.1:PORT" once listening: where the engine pulls pushed images from */
  engineAddress: () => string | null;
  /** `docker save` from the engine, for pulls of versions added with `modelhub models add` */
  exporter: () => ImageExporter | null;
  logger: Logger;
}

export function checkName(name: string): void {
  if (!isRepositoryName(name)) throw nameInvalid(`invalid repository name ${name}: use lowercase <owner>/<model>`);
}

export function checkDigest(digest: string | null): string {
  if (!digest) throw digestInvalid("a digest is required (?digest=sha256:…)");
  if (!isSha256Digest(digest)) throw digestInvalid(`unsupported digest ${digest}: modelhub verifies sha256 only`);
  return digest;
}

export class RegistryService {
  private exports = new Map<string, Promise<string>>(); // version id → manifest digest

  constructor(private d: RegistryDeps) {}

  blob(repo: string, digest: string): { size: number; path: string } {
    checkName(repo);
    checkDigest(digest);
    const size = this.d.files.size(digest);
    if (size === null || !this.d.store.repoHasBlob(repo, digest)) throw blobUnknown(digest);
    return { size, path: this.d.files.path(digest) };
  }

  startUpload(repo: string): Promise<UploadSession> {
    checkName(repo);
    return this.d.uploads.start(repo);
  }

  /** A cross-repository mount: true when the blob is now linked in `repo` (201), false to fall back to an upload (202). */
  mount(repo: string, from: string, digest: string, mayReadFrom: boolean): boolean {
    checkName(repo);
    if (!mayReadFrom || !isRepositoryName(from) || !isSha256Digest(digest) || !this.d.store.repoHasBlob(from, digest)) return false;
    const size = this.d.files.size(digest);
    if (size === null) return false;
    this.d.store.linkBlob(repo, digest, size);
    return true;
  }

  upload(repo: string, uuid: string): UploadSession {
    checkName(repo);
    return this.d.uploads.get(repo, uuid);
  }

  patch(s: UploadSession, body: ReadableStream<Uint8Array> | null, contentRange: string | null): Promise<void> {
    return this.d.uploads.append(s, body, contentRange);
  }

  /** PUT ?digest=: the optional last chunk, then verification and the atomic move into the store. */
  async commit(s: UploadSession, digest: string | null, body: ReadableStream<Uint8Array> | null): Promise<string> {
    let d: string;
    try {
      d = checkDigest(digest);
    } catch (err) {
      await this.d.uploads.discard(s);
      throw err;
    }
    await this.d.uploads.append(s, body, null);
    const size = await this.d.uploads.commit(s, d);
    this.d.store.linkBlob(s.repo, d, size);
    return d;
  }

  cancel(s: UploadSession): Promise<void> {
    return this.d.uploads.discard(s);
  }

  /**
   * Stores a manifest byte for byte. By tag, a runnable Cog image also becomes a catalog version
   * (and the engine is asked to pull it); by digest (children, attestations) it is only stored.
   */
  putManifest(repo: string, reference: string, bytes: Uint8Array, contentType: string | null): { digest: string; versionId: string | null } {
    checkName(repo);
    const byDigest = looksLikeDigest(reference);
    if (!byDigest && !isTag(reference)) throw new DistributionError(400, "TAG_INVALID", `invalid tag ${reference}`);
    const digest = `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;
    if (byDigest && checkDigest(reference) !== digest) throw digestInvalid(`the manifest's content has digest ${digest}, not ${reference}`);
    const parsed = parseManifest(bytes, contentType);
    const need = requiredBlobs(parsed);
    const missing = [
      ...need.blobs.filter((b) => !this.d.store.repoHasBlob(repo, b) || this.d.files.size(b) === null),
      ...need.manifests.filter((m) => !this.d.store.manifestIn(repo, m)),
    ];
    if (missing.length)
      throw new DistributionError(400, "MANIFEST_BLOB_UNKNOWN", `the manifest references ${missing.length === 1 ? "a blob" : `${missing.length} blobs`} this repository does not have: ${missing.join(", ")}`, missing.map((digest) => ({ digest })));
    this.d.files.writeSmall(digest, bytes);
    const refs = [...need.blobs, ...need.manifests];
    if (byDigest) {
      this.d.store.putManifest(repo, digest, parsed.mediaType, bytes.length, refs);
      return { digest, versionId: null };
    }
    // The manifest must be known in the repo before an index's child can be read, and the tag, the
    // version and its import state must appear together or not at all.
    let version: { versionId: string; created: boolean; ref: string } | null = null;
    this.d.store.transaction(() => {
      this.d.store.putManifest(repo, digest, parsed.mediaType, bytes.length, refs);
      const image = runnableImage(parsed, digest, this.d.files, this.d.store, repo);
      if (image) {
        const ref = `${this.d.engineAddress() ?? "127.0.0.1"}/${repo}@${image.manifestDigest}`;
        const r = recordVersion(this.d.catalog, this.d.files, repo, image, ref);
        const current = this.d.store.version(r.versionId);
        this.d.store.upsertVersion({ version_id: r.versionId, repo, manifest_digest: image.manifestDigest, pushed_digest: digest, status: current?.status ?? "importing" });
        version = { ...r, ref: this.d.catalog.getVersion(r.versionId).image };
      }
      this.d.store.setTag(repo, reference, digest);
    });
    const v = version as { versionId: string; created: boolean; ref: string } | null;
    if (v) {
      const state = this.d.store.version(v.versionId);
      const imports = this.d.imports();
      if (imports && state && state.status !== "ready") void imports.start(v.versionId, v.ref).catch(() => {});
    }
    return { digest, versionId: v?.versionId ?? null };
  }

  /**
   * A stored manifest by tag or digest. A tag that is not stored but names a catalog version of the
   * model (`latest`, or a 64-hex version id) serves that version: its pushed manifest, or, for a
   * version added with `modelhub models add`, one exported from the engine on this first pull.
   */
  async manifest(repo: string, reference: string): Promise<{ digest: string; mediaType: string; size: number; path: string }> {
    checkName(repo);
    if (!looksLikeDigest(reference) && !isTag(reference)) throw new DistributionError(400, "TAG_INVALID", `invalid tag ${reference}`);
    let digest = looksLikeDigest(reference) ? checkDigest(reference) : this.d.store.tag(repo, reference);
    if (!digest && isTag(reference)) digest = await this.versionManifest(repo, reference);
    const row = digest ? this.d.store.manifestIn(repo, digest) : null;
    if (!row || this.d.files.size(row.digest) === null) throw manifestUnknown(reference);
    return { digest: row.digest, mediaType: row.media_type, size: row.size, path: this.d.files.path(row.digest) };
  }

  private async versionManifest(repo: string, tag: string): Promise<string | null> {
    const [owner, name, extra] = repo.split("/");
    const model = extra === undefined && name ? this.d.catalog.findModel(owner, name) : null;
    if (!model) return null;
    const v = tag === "latest" ? this.d.catalog.latestVersion(model.id) : /^[a-f0-9]{64}$/.test(tag) ? this.d.catalog.findVersion(tag) : null;
    if (!v || v.modelId !== model.id) return null;
    const pushed = this.d.store.version(v.id);
    if (pushed) return pushed.pushed_digest;
    const exporter = this.d.exporter();
    if (!exporter) return null;
    let running = this.exports.get(v.id);
    if (!running) {
      this.d.logger.info("exporting a version from the Docker engine for its first registry pull", { model: repo, version: v.id.slice(0, 12) });
      running = (async () => {
        const img = await exportImage(exporter, engineImageRef(v), this.d.files);
        const digest = `sha256:${new Bun.CryptoHasher("sha256").update(img.manifest).digest("hex")}`;
        this.d.files.writeSmall(digest, img.manifest);
        this.d.store.transaction(() => {
          for (const b of img.blobs) this.d.store.linkBlob(repo, b.digest, b.size);
          this.d.store.putManifest(repo, digest, OCI_MANIFEST, img.manifest.length, img.blobs.map((b) => b.digest));
          this.d.store.upsertVersion({ version_id: v.id, repo, manifest_digest: digest, pushed_digest: digest, status: "ready" });
        });
        return digest;
      })().finally(() => this.exports.delete(v.id));
      this.exports.set(v.id, running);
    }
    return running;
  }

  async manifestBytes(repo: string, reference: string): Promise<Uint8Array> {
    return readFileSync((await this.manifest(repo, reference)).path);
  }

  tags(repo: string, n: number, last?: string): string[] {
    checkName(repo);
    if (!this.d.store.repoExists(repo)) throw nameUnknown(repo);
    return this.d.store.tags(repo, n, last);
  }

  /** Import state of a pushed version (null: the version did not come from a push). */
  importState(versionId: string) {
    const v = this.d.store.version(versionId);
    return v ? { status: v.status, progress: v.progress, error: v.error } : null;
  }

  /** The version a pushed digest became: for an index, its platform manifest; 64 hex in and out. */
  byPushedDigest(hex: string): string | null {
    return /^[a-f0-9]{64}$/.test(hex) ? (this.d.store.versionByPushedDigest(hex)?.version_id ?? null) : null;
  }
}

