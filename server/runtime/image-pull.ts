// Engine API image pulls (POST /images/create) with progress, for images modelhub's registry holds,
// image loads (POST /images/load) of a tar built from its stored blobs when the engine cannot pull,
// and image exports (docker save) for registry pulls of images that are only in the engine.
import Docker from "dockerode";
import { DockerImageTransfer } from "./image-transfer.ts";
import { dockerOptions, type EngineTls } from "./docker.ts";
import { mapDockerError } from "./docker-errors.ts";
import { DockerUnavailableError } from "./runtime.ts";

export interface PullAuth {
  username: string;
  password: string;
  serveraddress: string;
}

interface ProgressEvent {
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
}

export class EnginePuller {
  private docker: Docker;
  constructor(private dockerHost: string, private tls?: EngineTls) {
    this.docker = new Docker(dockerOptions(dockerHost, tls));
  }

  /**
   * Pulls `ref` (host/repo@sha256:… or :tag), calling onProgress with one line per progress event.
   * `auth` goes to the engine as X-Registry-Auth (a `registrytoken` is sent on as Bearer).
   */
  async pull(ref: string, auth: PullAuth | Record<string, string> | null, onProgress: (line: string) => void): Promise<void> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.pull(ref, auth ? { authconfig: auth } : {});
    } catch (err) {
      const mapped = mapDockerError(err, this.dockerHost, ref);
      if (mapped instanceof DockerUnavailableError) throw mapped;
      // The engine's own words ("dial tcp …", "server gave HTTP response to HTTPS client") are only
      // in the modem's message ("(HTTP code 500) server error - Get …"); the registry reads them.
      throw new Error(String((err as Error).message ?? err).replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, ""));
    }
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(
        stream,
        (err: Error | null, events: ProgressEvent[]) => {
          const failed = err?.message ?? events?.find((e) => e.error)?.error;
          if (failed) reject(new Error(failed));
          else resolve();
        },
        (e: ProgressEvent) => {
          if (e.error) return;
          onProgress([e.id, e.status, e.progress].filter(Boolean).join(" "));
        },
      );
    });
  }

  /** `docker load` of a tar stream, read as the engine takes it; rejects with the engine's error. */
  async load(tar: ReadableStream<Uint8Array>): Promise<void> {
    await new DockerImageTransfer(this.dockerHost, this.tls).load(tar);
  }

  /** `docker save` of one image as a stream of tar bytes (GET /images/{name}/get). */
  async save(ref: string): Promise<AsyncIterable<Uint8Array>> {
    try {
      return (await this.docker.getImage(ref).get()) as AsyncIterable<Uint8Array> & NodeJS.ReadableStream;
    } catch (err) {
      throw mapDockerError(err, this.dockerHost, ref);
    }
  }
}
