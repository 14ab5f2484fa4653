// Versions imported with `modelhub models add` live only in the Docker engine. The first pull of one
// from the registry exports the image (`docker save`, streamed), stores every file of the tar as a
// content-addressed blob while hashing it, and writes an OCI manifest over the config and the
// uncompressed layers, so the engine that pulls gets the same image ID. Nothing is held in memory
// but manifest.json.
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import type { BlobFiles } from "./blob-files.ts";
import { OCI_MANIFEST } from "./manifest-rules.ts";

export interface ImageExporter {
  /** the `docker save` tar of one image, streamed */
  save(ref: string): Promise<AsyncIterable<Uint8Array>>;
}

export interface ExportedImage {
  manifest: Uint8Array;
  blobs: { digest: string; size: number }[];
}

/** Reads a tar stream entry by entry; regular files go to `onFile` chunk by chunk. */
async function readTar(
  stream: AsyncIterable<Uint8Array>,
  onFile: (name: string) => { write(chunk: Uint8Array): void; end(): void },
): Promise<void> {
  let header = new Uint8Array(0);
  let left = 0; // data bytes of the current entry still to come
  let pad = 0; // padding after it
  let sink: { write(chunk: Uint8Array): void; end(): void } | null = null;
  let longName: string | null = null;
  let paxBuf: Uint8Array[] | null = null;
  for await (let chunk of stream) {
    while (chunk.length) {
      if (left > 0) {
        const n = Math.min(left, chunk.length);
        const part = chunk.subarray(0, n);
        if (sink) sink.write(part);
        if (paxBuf) paxBuf.push(part.slice());
        left -= n;
        chunk = chunk.subarray(n);
        if (left === 0) {
          sink?.end();
          sink = null;
          if (paxBuf) {
            const text = Buffer.concat(paxBuf).toString("utf8");
            longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text)?.[1] ?? text.replace(/\0.*$/s, "");
            paxBuf = null;
          }
        }
        continue;
      }
      if (pad > 0) {
        const n = Math.min(pad, chunk.length);
        pad -= n;
        chunk = chunk.subarray(n);
        continue;
      }
      const need = 512 - header.length;
      header = Buffer.concat([header, chunk.subarray(0, need)]);
      chunk = chunk.subarray(need);
      if (header.length < 512) continue;
      const h = Buffer.from(header);
      header = new Uint8Array(0);
      if (h.every((b) => b === 0)) continue; // end-of-archive blocks
      const field = (start: number, len: number) => h.subarray(start, start + len).toString("utf8").replace(/\0.*$/s, "");
      const size = parseInt(field(124, 12).trim() || "0", 8);
      const type = String.fromCharCode(h[156] || 48);
      const prefix = field(345, 155);
      const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
      if (type !== "x" && type !== "g" && type !== "L") longName = null;
      left = size;
      pad = (512 - (size % 512)) % 512;
      if (type === "x" || type === "L") paxBuf = [];
      else if ((type === "0" || type === "\0") && size > 0) sink = onFile(name);
      if (size === 0) sink = null;
    }
  }
}

export async function exportImage(exporter: ImageExporter, ref: string, files: BlobFiles): Promise<ExportedImage> {
  const stored = new Map<string, { digest: string; size: number }>();
  await readTar(await exporter.save(ref), (name) => {
    const tmp = files.uploadPath(`export-${crypto.randomUUID()}`);
    const fd = openSync(tmp, "w");
    const hasher = new Bun.CryptoHasher("sha256");
    let size = 0;
    return {
      write(chunk) {
        hasher.update(chunk);
        let done = 0;
        while (done < chunk.length) done += writeSync(fd, chunk, done, chunk.length - done);
        size += chunk.length;
      },
      end() {
        closeSync(fd);
        const digest = `sha256:${hasher.digest("hex")}`;
        files.commit(tmp, digest);
        stored.set(name, { digest, size });
      },
    };
  });
  const index = stored.get("manifest.json");
  if (!index) throw new Error(`the export of ${ref} has no manifest.json`);
  const [entry] = JSON.parse(readFileSync(files.path(index.digest), "utf8")) as { Config: string; Layers: string[] }[];
  const config = stored.get(entry.Config);
  const layers = entry.Layers.map((l) => stored.get(l));
  if (!config || layers.some((l) => !l)) throw new Error(`the export of ${ref} misses files its manifest.json names`);
  const manifest = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config.digest, size: config.size },
      // uncompressed, exactly as the engine stores them: their digests are the image's diff_ids
      layers: layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: l!.digest, size: l!.size })),
    }),
  );
  return { manifest, blobs: [config, ...(layers as { digest: string; size: number }[])] };
}
