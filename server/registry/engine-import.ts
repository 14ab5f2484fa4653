// Getting pushed versions into the Docker engine: the engine pulls the image by digest from
// modelhub's own loopback address (Docker treats 127.0.0.0/8 as an insecure registry, so plain HTTP
// works with no configuration). When the engine cannot reach that address (a remote engine, a LAN
// address Docker wants HTTPS for), or when --registry-import load says so, the image is loaded
// instead (POST /images/load) from a tar built from the stored blobs as it is sent. The version
// shows `importing` with progress until then; containers of that image wait for the import instead
// of failing on a missing image, and are created by image id, which a pull and a load both give.
import { readFileSync } from "node:fs";
import type { Logger } from "../log.ts";
import type { ContainerRuntime } from "../runtime/runtime.ts";
import type { BlobFiles } from "./blob-files.ts";
import { savedImage, tarStream } from "./image-tar.ts";
import { parseManifest } from "./manifest-rules.ts";
import type { RegistryStore } from "./registry-store.ts";

export interface RegistryCredentials {
  username: string;
  password: string;
  serveraddress: string;
}

/** What the registry needs from the engine: a pull with progress lines, and a load of a tar stream. */
export interface ImagePuller {
  pull(ref: string, auth: RegistryCredentials | null, onProgress: (line: string) => void): Promise<void>;
  load(tar: ReadableStream<Uint8Array>): Promise<void>;
}

/** pull: the engine pulls from modelhub, loading from stored blobs when it cannot reach it; load: always load. */
export type ImportMode = "pull" | "load";

const RETRIES = [1_000, 5_000, 20_000];

/** A pull that failed because the engine cannot reach the registry address at all (retrying will not help). */
export const unreachable = (message: string) =>
  /dial tcp|connection refused|no such host|no route to host|network is unreachable|i\/o timeout|server gave HTTP response to HTTPS client|request canceled while waiting for connection|connection reset/i.test(message);

/** "<host>/<owner>/<model>@sha256:<hex>", the reference pushed versions carry. */
const PUSHED_REF = /^([^/]+)\/(.+)@(sha256:[a-f0-9]{64})$/;

export interface ImportOptions {
  mode: ImportMode;
  /** where the tar for a load is read from */
  files: BlobFiles;
}

export class EngineImports {
  private inFlight = new Map<string, Promise<void>>(); // by image ref
  private closed = false;

  constructor(
    private store: RegistryStore,
    private puller: ImagePuller,
    private logger: Logger,
    private credentials: () => RegistryCredentials | null,
    private options: ImportOptions,
  ) {}

  /** Import state writes stop at close: the database closes right after, while a pull may still report. */
  private setState(...args: Parameters<RegistryStore["setImportState"]>): void {
    if (!this.closed) this.store.setImportState(...args);
  }

  /** Starts (or restarts) the engine pull of a version; the returned promise settles when it ends. */
  start(versionId: string, ref: string): Promise<void> {
    const running = this.inFlight.get(ref);
    if (running) return running;
    this.setState(versionId, "importing", "waiting for the engine", null);
    const run = this.run(versionId, ref).finally(() => this.inFlight.delete(ref));
    this.inFlight.set(ref, run);
    return run;
  }

  private async run(versionId: string, ref: string): Promise<void> {
    let lastWrite = 0;
    // Progress arrives many times a second; the database hears about it at most twice a second.
    const progress = (line: string) => {
      const now = Date.now();
      if (now - lastWrite < 500) return;
      lastWrite = now;
      this.setState(versionId, "importing", line, null);
    };
    for (let attempt = 0; ; attempt++) {
      let loading = this.options.mode === "load";
      try {
        if (!loading) {
          try {
            await this.puller.pull(ref, this.credentials(), progress);
          } catch (err) {
            if (this.closed || !unreachable((err as Error).message)) throw err;
            this.logger.warn("the engine cannot reach modelhub's registry; loading the pushed version from stored blobs", {
              version: versionId.slice(0, 12),
              error: (err as Error).message,
            });
            loading = true;
          }
        }
        if (loading) await this.load(ref, progress);
        this.setState(versionId, "ready", null, null);
        this.logger.info("pushed version is in the engine", { version: versionId.slice(0, 12), by: loading ? "load from stored blobs" : "pull" });
        return;
      } catch (err) {
        const message = (err as Error).message;
        if (this.closed || attempt >= RETRIES.length) {
          this.setState(versionId, "failed", null, `the engine could not ${loading ? "load" : "pull"} ${ref}: ${message}`);
          this.logger.warn("engine pull of a pushed version failed", { version: versionId.slice(0, 12), error: message });
          throw new Error(`the image of this version could not be imported into the Docker engine: ${message}`);
        }
        this.setState(versionId, "importing", `retrying after: ${message}`, null);
        await Bun.sleep(RETRIES[attempt]);
      }
    }
  }

  /** `docker load` of the pushed image from stored blobs, tagged <host>/<repo>:sha256-<hex> so it is not dangling. */
  private async load(ref: string, progress: (line: string) => void): Promise<void> {
    const m = PUSHED_REF.exec(ref);
    if (!m) throw new Error(`${ref} is not a pushed version's reference`);
    const image = savedImage(this.options.files, m[3], [`${m[1]}/${m[2]}:sha256-${m[3].slice(7)}`]);
    const total = image.size;
    let sent = 0;
    const counted = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        sent += chunk.length;
        progress(`loading from stored blobs: ${Math.floor((sent / total) * 100)}% of ${(total / 1e6).toFixed(0)} MB`);
        c.enqueue(chunk);
      },
    });
    await this.puller.load(tarStream(image.entries).pipeThrough(counted));
  }

  /**
   * The reference to create containers of `ref` with: a pushed version's image id (its config
   * digest, what both a pull and a load leave in the engine; a load cannot record the digest
   * reference); any other reference unchanged.
   */
  engineRef(ref: string): string {
    const m = PUSHED_REF.exec(ref);
    if (!m || !this.store.version(m[3].slice(7))) return ref;
    try {
      const manifest = parseManifest(readFileSync(this.options.files.path(m[3])), null);
      return manifest.kind === "image" ? manifest.config.digest : ref;
    } catch {
      return ref;
    }
  }

  /** Resolves when no import of `ref` is in flight (at once, usually); rejects if it failed. */
  async ready(ref: string): Promise<void> {
    await this.inFlight.get(ref);
  }

  /** Imports a previous run left unfinished start again. */
  resume(imageOf: (versionId: string) => string | null): void {
    for (const v of this.store.versionsByStatus("importing")) {
      const ref = imageOf(v.version_id);
      if (ref) void this.start(v.version_id, ref).catch(() => {});
    }
  }

  close(): void {
    this.closed = true;
  }
}

/** The runtime as the scheduler should see it: creating a container of an importing image waits for the import. */
export function importAwareRuntime(runtime: ContainerRuntime, imports: () => EngineImports | null): ContainerRuntime {
  return new Proxy(runtime, {
    get(target, prop, receiver) {
      if (prop === "create")
        return async (spec: Parameters<ContainerRuntime["create"]>[0]) => {
          const i = imports();
          if (!i) return target.create(spec);
          await i.ready(spec.image);
          return target.create({ ...spec, image: i.engineRef(spec.image) });
        };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}
