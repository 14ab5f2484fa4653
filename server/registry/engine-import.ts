// Getting pushed versions into the Docker engine: the engine pulls the image by digest from
// modelhub's own loopback address (Docker treats 127.0.0.0/8 as an insecure registry, so plain HTTP
// works with no configuration). The version shows `importing` with the pull's progress until then;
// containers of that image wait for the import instead of failing on a missing image.
import type { Logger } from "../log.ts";
import type { ContainerRuntime } from "../runtime/runtime.ts";
import type { RegistryStore } from "./registry-store.ts";

export interface RegistryCredentials {
  username: string;
  password: string;
  serveraddress: string;
}

/** What the registry needs from the engine: a pull with progress lines. */
export interface ImagePuller {
  pull(ref: string, auth: RegistryCredentials | null, onProgress: (line: string) => void): Promise<void>;
}

const RETRIES = [1_000, 5_000, 20_000];

export class EngineImports {
  private inFlight = new Map<string, Promise<void>>(); // by image ref
  private closed = false;

  constructor(
    private store: RegistryStore,
    private puller: ImagePuller,
    private logger: Logger,
    private credentials: () => RegistryCredentials | null,
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
    for (let attempt = 0; ; attempt++) {
      try {
        await this.puller.pull(ref, this.credentials(), (line) => {
          // Progress arrives many times a second; the database hears about it at most twice a second.
          const now = Date.now();
          if (now - lastWrite < 500) return;
          lastWrite = now;
          this.setState(versionId, "importing", line, null);
        });
        this.setState(versionId, "ready", null, null);
        this.logger.info("pushed version is in the engine", { version: versionId.slice(0, 12) });
        return;
      } catch (err) {
        const message = (err as Error).message;
        if (this.closed || attempt >= RETRIES.length) {
          this.setState(versionId, "failed", null, `the engine could not pull ${ref}: ${message}`);
          this.logger.warn("engine pull of a pushed version failed", { version: versionId.slice(0, 12), error: message });
          throw new Error(`the image of this version could not be imported into the Docker engine: ${message}`);
        }
        this.setState(versionId, "importing", `retrying after: ${message}`, null);
        await Bun.sleep(RETRIES[attempt]);
      }
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
          await imports()?.ready(spec.image);
          return target.create(spec);
        };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}
