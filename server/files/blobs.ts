// File bytes on disk under <data-dir>/files: written through a temp name and renamed, hashed
// (sha256, md5) while written, bounded in size.
import { mkdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { tooLarge } from "../errors.ts";

export interface WrittenBlob {
  size: number;
  sha256: string;
  md5: string;
}

export class BlobDir {
  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true });
  }

  /** Two-character shards keep any one directory small. */
  path(id: string): string {
    return join(this.root, id.slice(0, 2), id);
  }

  async write(id: string, body: Uint8Array | ReadableStream<Uint8Array>, maxBytes: number, what = "File"): Promise<WrittenBlob> {
    const final = this.path(id);
    mkdirSync(dirname(final), { recursive: true });
    const tmp = `${final}.part`;
    const sha = new Bun.CryptoHasher("sha256");
    const md5 = new Bun.CryptoHasher("md5");
    let size = 0;
    try {
      if (body instanceof Uint8Array) {
        if (body.byteLength > maxBytes) throw tooLarge(`${what} is ${body.byteLength} bytes; the limit is ${maxBytes} bytes`);
        sha.update(body);
        md5.update(body);
        size = body.byteLength;
        await Bun.write(tmp, body);
      } else {
        const sink = Bun.file(tmp).writer();
        try {
          for await (const chunk of body) {
            size += chunk.byteLength;
            // Checked as bytes arrive: an oversized body never fills the disk.
            if (size > maxBytes) throw tooLarge(`${what} is over the ${maxBytes}-byte limit`);
            sha.update(chunk);
            md5.update(chunk);
            sink.write(chunk);
          }
        } finally {
          await sink.end();
        }
      }
      renameSync(tmp, final);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    return { size, sha256: sha.digest("hex"), md5: md5.digest("hex") };
  }

  remove(id: string): void {
    rmSync(this.path(id), { force: true });
  }
}
