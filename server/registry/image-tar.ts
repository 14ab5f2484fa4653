// An image from the registry's stored blobs as the tar `docker load` reads (the `docker save`
// format: manifest.json naming the config and the layers, each a file in the tar), produced as a
// stream: files are read in pieces as the reader asks, so an image of any size costs a few MiB.
// Used when the engine cannot pull from modelhub's own address (POST /images/load instead), and by
// anything else that must hand an engine a stored image.
import { readFileSync } from "node:fs";
import type { BlobFiles } from "./blob-files.ts";
import { OCI_INDEX, parseManifest } from "./manifest-rules.ts";

/** One file of a tar: its bytes given whole (small) or as a path read in pieces (blobs). */
export type TarEntry = { name: string; size: number } & ({ bytes: Uint8Array } | { path: string });

const BLOCK = 512;
const READ_CHUNK = 1024 * 1024;

/** A ustar header. Sizes past the 11-octal-digit field (8 GiB) use the base-256 form Go's and GNU tar read. */
export function tarHeader(name: string, size: number, mtime = 0): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const enc = new TextEncoder();
  const put = (offset: number, len: number, text: string) => h.set(enc.encode(text).subarray(0, len), offset);
  const nameBytes = enc.encode(name);
  if (nameBytes.length > 100) throw new Error(`tar entry name too long: ${name}`);
  h.set(nameBytes, 0);
  put(100, 8, "0000644\0");
  put(108, 8, "0000000\0");
  put(116, 8, "0000000\0");
  if (size < 8 ** 11) put(124, 12, `${size.toString(8).padStart(11, "0")}\0`);
  else {
    h[124] = 0x80;
    let v = BigInt(size);
    for (let i = 135; i > 124; i--) {
      h[i] = Number(v & 0xffn);
      v >>= 8n;
    }
  }
  put(136, 12, `${Math.floor(mtime).toString(8).padStart(11, "0")}\0`);
  h.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  h[156] = 0x30; // "0": a regular file
  put(257, 6, "ustar\0");
  put(263, 2, "00");
  let sum = 0;
  for (const b of h) sum += b;
  put(148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

async function* entryBytes(entries: TarEntry[]): AsyncGenerator<Uint8Array> {
  for (const e of entries) {
    yield tarHeader(e.name, e.size);
    let sent = 0;
    if ("bytes" in e) {
      yield e.bytes;
      sent = e.bytes.length;
    } else {
      // Bun.file streams in the file's own pieces; slices keep each read bounded.
      const file = Bun.file(e.path);
      for (let at = 0; at < e.size; at += READ_CHUNK) {
        const piece = new Uint8Array(await file.slice(at, Math.min(at + READ_CHUNK, e.size)).arrayBuffer());
        if (piece.length === 0) break;
        sent += piece.length;
        yield piece;
      }
    }
    if (sent !== e.size) throw new Error(`${e.name} changed while it was being sent (${sent} of ${e.size} bytes)`);
    const pad = (BLOCK - (e.size % BLOCK)) % BLOCK;
    if (pad) yield new Uint8Array(pad);
  }
  yield new Uint8Array(BLOCK * 2); // end of archive
}

/** A tar of `entries` as a stream that reads only as fast as it is consumed. */
export function tarStream(entries: TarEntry[]): ReadableStream<Uint8Array> {
  const it = entryBytes(entries);
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      const r = await it.next();
      if (r.done) c.close();
      else c.enqueue(r.value);
    },
    async cancel() {
      await it.return(undefined);
    },
  });
}

export interface SavedImage {
  /** the tar's total length in bytes (for progress) */
  size: number;
  /** the image id the engine will give it: the config digest */
  imageId: string;
  entries: TarEntry[];
}

/**
 * The `docker save` layout of the image manifest `manifestDigest` from stored blobs, in the form
 * engines 25+ write: manifest.json (what Docker 20.10's classic store reads) plus oci-layout and
 * index.json over the manifest blob (what containerd-store engines read). Layers go in as they were
 * pushed (compressed or not: `docker load` decompresses them and checks each against the config's
 * diff_ids). `repoTags` names the image in the engine (tags only: a load cannot record a digest).
 */
export function savedImage(files: BlobFiles, manifestDigest: string, repoTags: string[]): SavedImage {
  const stored = (digest: string) => {
    const size = files.size(digest);
    if (size === null) throw new Error(`blob ${digest} is not stored`);
    return { path: files.path(digest), size };
  };
  const manifestFile = stored(manifestDigest);
  const manifest = parseManifest(readFileSync(manifestFile.path), null);
  if (manifest.kind !== "image") throw new Error(`${manifestDigest} is not an image manifest`);
  const name = (digest: string) => `blobs/sha256/${digest.slice("sha256:".length)}`;
  const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  const config = manifest.config.digest;
  const layers = manifest.layers.map((l) => l.digest);
  const ref = repoTags[0];
  const annotations = ref ? { "io.containerd.image.name": ref, "org.opencontainers.image.ref.name": ref.slice(ref.lastIndexOf(":") + 1) } : undefined;
  const small: [string, Uint8Array][] = [
    ["oci-layout", json({ imageLayoutVersion: "1.0.0" })],
    ["index.json", json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: manifest.mediaType, digest: manifestDigest, size: manifestFile.size, annotations }] })],
    ["manifest.json", json([{ Config: name(config), RepoTags: repoTags, Layers: layers.map(name) }])],
  ];
  const entries: TarEntry[] = small.map(([n, bytes]) => ({ name: n, size: bytes.length, bytes }));
  for (const digest of new Set([manifestDigest, config, ...layers])) entries.push({ name: name(digest), ...stored(digest) });
  const size = entries.reduce((n, e) => n + BLOCK + Math.ceil(e.size / BLOCK) * BLOCK, BLOCK * 2);
  return { size, imageId: config, entries };
}
