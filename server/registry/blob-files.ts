// The registry's bytes on disk: content-addressed blobs under <root>/blobs/sha256/<aa>/<hex> and
// upload sessions under <root>/uploads/<uuid>, on one filesystem so a commit is one rename().
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export class BlobFiles {
  readonly blobsDir: string;
  readonly uploadsDir: string;

  constructor(readonly root: string) {
    this.blobsDir = join(root, "blobs", "sha256");
    this.uploadsDir = join(root, "uploads");
    mkdirSync(this.blobsDir, { recursive: true });
    mkdirSync(this.uploadsDir, { recursive: true });
  }

  path(digest: string): string {
    const hex = digest.slice("sha256:".length);
    return join(this.blobsDir, hex.slice(0, 2), hex);
  }

  uploadPath(uuid: string): string {
    return join(this.uploadsDir, uuid);
  }

  /** The blob's size, or null when it is not stored. */
  size(digest: string): number | null {
    try {
      return statSync(this.path(digest)).size;
    } catch {
      return null;
    }
  }

  /**
   * Moves a fully written, verified upload into place. When the blob is already there (another push
   * of the same layer finished first) the upload is dropped: both hold the same bytes.
   */
  commit(tempPath: string, digest: string): void {
    const target = this.path(digest);
    mkdirSync(join(target, ".."), { recursive: true });
    if (this.size(digest) !== null) {
      rmSync(tempPath, { force: true });
      return;
    }
    renameSync(tempPath, target);
  }

  /** Small blobs written whole (manifests): to a temp file, then renamed, so readers never see half. */
  writeSmall(digest: string, bytes: Uint8Array): void {
    if (this.size(digest) !== null) return;
    const tmp = join(this.uploadsDir, `m-${crypto.randomUUID()}`);
    writeFileSync(tmp, bytes);
    this.commit(tmp, digest);
  }

  remove(digest: string): void {
    rmSync(this.path(digest), { force: true });
  }

  /** Every stored blob with its size and modification time (for collection and disk use). */
  *list(): Generator<{ digest: string; size: number; mtimeMs: number }> {
    for (const prefix of safeReaddir(this.blobsDir))
      for (const hex of safeReaddir(join(this.blobsDir, prefix))) {
        try {
          const st = statSync(join(this.blobsDir, prefix, hex));
          yield { digest: `sha256:${hex}`, size: st.size, mtimeMs: st.mtimeMs };
        } catch {
          // removed meanwhile
        }
      }
  }

  /** Upload files with their age, for the stale-upload sweep. */
  *uploads(): Generator<{ name: string; size: number; mtimeMs: number }> {
    for (const name of safeReaddir(this.uploadsDir)) {
      try {
        const st = statSync(join(this.uploadsDir, name));
        yield { name, size: st.size, mtimeMs: st.mtimeMs };
      } catch {
        // removed meanwhile
      }
    }
  }

  diskUsage(): { blobs: number; blobBytes: number; uploadBytes: number } {
    let blobs = 0;
    let blobBytes = 0;
    let uploadBytes = 0;
    for (const b of this.list()) {
      blobs++;
      blobBytes += b.size;
    }
    for (const u of this.uploads()) uploadBytes += u.size;
    return { blobs, blobBytes, uploadBytes };
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
