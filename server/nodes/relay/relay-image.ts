// The relay's image, made by modelhub itself without any builder or registry: a `docker save`-format
// archive (manifest.json, the image config, one layer) streamed into a node's `POST /images/load`.
// The layer holds the relay binary and the glibc files it links (the paths `ldd` lists, with the
// real files' contents), like the test fixture images. Its tag carries the config digest, so a node
// that has this exact image is left alone.
import { createHash } from "node:crypto";
import { realpathSync, statSync } from "node:fs";

export interface RelayBinary {
  /** the executable on this machine (a compiled `modelhub`, or the relay compiled on its own) */
  path: string;
  /** arguments after it (["relay"] for the modelhub binary) */
  args: string[];
}

export interface RelayImage {
  /** modelhub/relay:<12 hex of the config digest> */
  tag: string;
  /** sha256:… the image id the engine reports after loading */
  id: string;
  /** A fresh docker-archive stream (read it once per load). */
  archive(): AsyncIterable<Uint8Array>;
}

export const RELAY_BINARY_PATH = "/usr/local/bin/modelhub-relay";

interface Entry {
  name: string;
  kind: "dir" | "file";
  /** host file to copy (kind file) or literal content */
  source?: string;
  content?: Uint8Array;
  mode: number;
}

function header(name: string, size: number, kind: "dir" | "file", mode: number): Uint8Array {
  const h = new Uint8Array(512);
  const enc = new TextEncoder();
  const put = (s: string, off: number, len: number) => h.set(enc.encode(s).subarray(0, len), off);
  const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, "0") + "\0";
  let prefix = "";
  let base = name;
  if (enc.encode(name).length > 100) {
    const cut = name.lastIndexOf("/", 155);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  put(base, 0, 100);
  put(octal(mode, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(0, 12), 136, 12);
  put("        ", 148, 8);
  put(kind === "dir" ? "5" : "0", 156, 1);
  put("ustar\u000000", 257, 8);
  put(prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
  return h;
}

const pad = (size: number) => new Uint8Array((512 - (size % 512)) % 512);

/** The tar of `entries`, as chunks (files read as they are reached). */
async function* tarChunks(entries: Entry[]): AsyncGenerator<Uint8Array> {
  for (const e of entries) {
    if (e.kind === "dir") {
      yield header(e.name.endsWith("/") ? e.name : `${e.name}/`, 0, "dir", e.mode);
      continue;
    }
    const size = e.content ? e.content.length : statSync(e.source ?? "").size;
    yield header(e.name, size, "file", e.mode);
    if (e.content) yield e.content;
    else for await (const chunk of Bun.file(e.source ?? "").stream()) yield chunk;
    yield pad(size);
  }
  yield new Uint8Array(1024);
}

function layerEntries(binary: RelayBinary, libs: string[]): Entry[] {
  const dirs = new Set<string>();
  const files: Entry[] = [];
  const addFile = (path: string, e: Omit<Entry, "name" | "kind">) => {
    const parts = path.split("/").filter(Boolean);
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
    files.push({ name: parts.join("/"), kind: "file", ...e });
  };
  addFile(RELAY_BINARY_PATH, { source: realpathSync(binary.path), mode: 0o755 });
  for (const lib of libs) addFile(lib, { source: realpathSync(lib), mode: 0o755 });
  // Without nsswitch.conf glibc may skip /etc/hosts.
  addFile("/etc/nsswitch.conf", { content: new TextEncoder().encode("hosts: files dns\n"), mode: 0o644 });
  const dirEntries: Entry[] = [...dirs].sort().map((d) => ({ name: d, kind: "dir", mode: 0o755 }));
  dirEntries.push({ name: "tmp", kind: "dir", mode: 0o1777 });
  return [...dirEntries, ...files];
}

/** Absolute paths of the shared objects (and the loader) `binary` links, from ldd. */
export async function linkedLibraries(binary: string): Promise<string[]> {
  const proc = Bun.spawn(["ldd", binary], { stdout: "pipe", stderr: "pipe" });
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  if (code !== 0) throw new Error(`ldd ${binary} failed`);
  const paths: string[] = [];
  for (const line of out.split("\n")) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m) paths.push(m[1]);
  }
  return paths;
}

async function sha256Of(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const h = createHash("sha256");
  for await (const c of chunks) h.update(c);
  return h.digest("hex");
}

/** Describes the relay image of `binary` (reads the files once to digest the layer). */
export async function relayImage(binary: RelayBinary): Promise<RelayImage> {
  const libs = await linkedLibraries(binary.path);
  const entries = layerEntries(binary, libs);
  const diffId = await sha256Of(tarChunks(entries));
  const config = new TextEncoder().encode(
    JSON.stringify({
      architecture: process.arch === "arm64" ? "arm64" : "amd64",
      os: "linux",
      config: {
        Entrypoint: [RELAY_BINARY_PATH, ...binary.args],
        Env: ["PATH=/usr/local/bin:/usr/bin:/bin"],
        Labels: { "dev.modelhub.relay": "true" },
      },
      rootfs: { type: "layers", diff_ids: [`sha256:${diffId}`] },
      history: [{ created_by: "modelhub relay image" }],
    }),
  );
  const configDigest = createHash("sha256").update(config).digest("hex");
  const tag = `modelhub/relay:${configDigest.slice(0, 12)}`;
  const manifest = new TextEncoder().encode(JSON.stringify([{ Config: `${configDigest}.json`, RepoTags: [tag], Layers: [`${diffId}/layer.tar`] }]));
  const layerSize = entries.reduce((n, e) => {
    const size = e.kind === "dir" ? 0 : e.content ? e.content.length : statSync(e.source ?? "").size;
    return n + 512 + size + pad(size).length;
  }, 1024);
  async function* outer(): AsyncGenerator<Uint8Array> {
    yield header(`${configDigest}.json`, config.length, "file", 0o644);
    yield config;
    yield pad(config.length);
    yield header(`${diffId}/`, 0, "dir", 0o755);
    yield header(`${diffId}/layer.tar`, layerSize, "file", 0o644);
    for await (const c of tarChunks(entries)) {
      // the inner tar's own end marker is part of the layer; the outer end marker comes last
      yield c;
    }
    yield pad(layerSize);
    yield header("manifest.json", manifest.length, "file", 0o644);
    yield manifest;
    yield pad(manifest.length);
    yield new Uint8Array(1024);
  }
  return { tag, id: `sha256:${configDigest}`, archive: () => outer() };
}
