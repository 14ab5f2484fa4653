// Moving whole images through the Docker engine: pull from a registry (with the engine's progress),
// save as a tar stream and load from one. Always streamed: an image can be many gigabytes.
import { Readable } from "node:stream";
import Docker from "dockerode";
import { mapDockerError } from "./docker-errors.ts";
import { dockerOptions, type EngineTls } from "./docker.ts";
import type { ImageRef } from "./image-ref.ts";
import { DockerUnavailableError, RuntimeError } from "./runtime.ts";

/** One line of the engine's pull progress (per layer, or a status for the whole image). */
export interface PullProgress {
  id?: string;
  status: string;
  current?: number;
  total?: number;
}

export interface LoadedImage {
  /** repo:tag when the tar named one */
  ref: string | null;
  /** image id, 64 hex */
  id: string;
}

export interface ImageTransfer {
  /** Pulls `ref`; resolves when the engine is done, rejects with its error. */
  pull(ref: ImageRef, onProgress: (p: PullProgress) => void): Promise<void>;
  /** Size in bytes (uncompressed) and id of a local image, for progress estimates. */
  size(ref: string): Promise<{ id: string; bytes: number }>;
  /** `docker save` of one image (by id or a parsed reference) as a byte stream. */
  save(ref: string): Promise<ReadableStream<Uint8Array>>;
  /** `docker load` of a tar stream; the images it created. */
  load(tar: ReadableStream<Uint8Array>): Promise<LoadedImage[]>;
}

/** A pull the registry side refused or could not serve (the engine itself worked). */
export class PullError extends RuntimeError {
  constructor(message: string, readonly kind: "not-found" | "unreachable" | "other", cause?: unknown) {
    super(message, cause);
  }
}

function pullError(ref: ImageRef, text: string, cause?: unknown): PullError {
  const registry = ref.domain || "Docker Hub";
  if (/manifest unknown|not found|repository does not exist|pull access denied|unauthorized|denied/i.test(text))
    return new PullError(`${ref.full} is not in ${registry} (or needs credentials modelhub does not send): ${text}`, "not-found", cause);
  if (/no such host|dial tcp|connection refused|i\/o timeout|timeout|tls|x509|server gave HTTP response|network is unreachable/i.test(text))
    return new PullError(
      `${registry} cannot be reached from this machine to pull ${ref.full} (${text}). Check the name: without a registry host it means Docker Hub.`,
      "unreachable",
      cause,
    );
  return new PullError(`Pulling ${ref.full} failed: ${text}`, "other", cause);
}

/** Reads newline-delimited JSON from a Node stream, object by object. */
async function* jsonLines(stream: NodeJS.ReadableStream): AsyncGenerator<Record<string, unknown>> {
  let buf = "";
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    buf += chunk.toString();
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield JSON.parse(line);
    }
  }
  if (buf.trim()) yield JSON.parse(buf);
}

const engineError = (o: Record<string, unknown>): string | null => {
  const detail = o.errorDetail as { message?: string } | undefined;
  return detail?.message ?? (typeof o.error === "string" ? o.error : null);
};

/** A Node stream as a web stream that reads only as fast as it is read (backpressure). */
function toWeb(s: NodeJS.ReadableStream): ReadableStream<Uint8Array> {
  const it = (s as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      const r = await it.next();
      if (r.done) c.close();
      else c.enqueue(new Uint8Array(r.value));
    },
    cancel() {
      (s as Readable).destroy();
    },
  });
}

export class DockerImageTransfer implements ImageTransfer {
  private docker: Docker;
  constructor(private dockerHost: string, tls?: EngineTls) {
    this.docker = new Docker(dockerOptions(dockerHost, tls));
  }

  async pull(ref: ImageRef, onProgress: (p: PullProgress) => void): Promise<void> {
    let stream: NodeJS.ReadableStream;
    try {
      // fromImage and tag go in the query string, which the modem encodes.
      stream = await this.docker.createImage({ fromImage: ref.repository, tag: ref.digest ?? ref.tag ?? "latest" });
    } catch (err) {
      const mapped = mapDockerError(err, this.dockerHost, ref.full);
      if (mapped instanceof DockerUnavailableError) throw mapped;
      // The engine's own words are in the modem's message ("(HTTP code 500) server error - Get ...").
      throw pullError(ref, String((err as Error).message ?? err).replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, ""), err);
    }
    for await (const o of jsonLines(stream)) {
      const error = engineError(o);
      if (error) throw pullError(ref, error);
      const d = (o.progressDetail ?? {}) as { current?: number; total?: number };
      onProgress({ id: typeof o.id === "string" ? o.id : undefined, status: String(o.status ?? ""), current: d.current, total: d.total });
    }
  }

  async size(ref: string): Promise<{ id: string; bytes: number }> {
    try {
      const info = await this.docker.getImage(ref).inspect();
      return { id: info.Id.replace(/^sha256:/, ""), bytes: info.Size };
    } catch (err) {
      throw mapDockerError(err, this.dockerHost, ref);
    }
  }

  async save(ref: string): Promise<ReadableStream<Uint8Array>> {
    // GET /images/{name}/get: the name goes into the path as it is, so only an image id or a
    // reference that parseImageRef accepted (letters, digits, . _ - / : @) may come here.
    if (!/^[A-Za-z0-9._\-/:@]+$/.test(ref)) throw new RuntimeError(`refusing to save "${ref}": not an image id or reference`);
    try {
      return toWeb(await this.docker.getImage(ref).get());
    } catch (err) {
      throw mapDockerError(err, this.dockerHost, ref);
    }
  }

  async load(tar: ReadableStream<Uint8Array>): Promise<LoadedImage[]> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.loadImage(Readable.from(tar as AsyncIterable<Uint8Array>), { quiet: true });
    } catch (err) {
      throw mapDockerError(err, this.dockerHost);
    }
    const loaded: LoadedImage[] = [];
    for await (const o of jsonLines(stream)) {
      const error = engineError(o);
      if (error) throw new RuntimeError(`Docker could not load the image: ${error}`);
      const text = String(o.stream ?? "");
      const byId = /Loaded image ID: sha256:([0-9a-f]{64})/.exec(text);
      const byRef = /Loaded image: (\S+)/.exec(text);
      if (byId) loaded.push({ ref: null, id: byId[1] });
      else if (byRef) loaded.push({ ref: byRef[1], id: (await this.size(byRef[1])).id });
    }
    return loaded;
  }
}
