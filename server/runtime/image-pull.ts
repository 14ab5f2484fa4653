// Engine API image pulls (POST /images/create) with progress, for images modelhub's registry holds,
// and image exports (docker save) for registry pulls of images that are only in the engine.
import Docker from "dockerode";
import { dockerOptions } from "./docker.ts";
import { mapDockerError } from "./docker-errors.ts";

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
  constructor(private dockerHost: string) {
    this.docker = new Docker(dockerOptions(dockerHost));
  }

  /** Pulls `ref` (host/repo@sha256:… or :tag), calling onProgress with one line per progress event. */
  async pull(ref: string, auth: PullAuth | null, onProgress: (line: string) => void): Promise<void> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.pull(ref, auth ? { authconfig: auth } : {});
    } catch (err) {
      throw mapDockerError(err, this.dockerHost, ref);
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

  /** `docker save` of one image as a stream of tar bytes (GET /images/{name}/get). */
  async save(ref: string): Promise<AsyncIterable<Uint8Array>> {
    try {
      return (await this.docker.getImage(ref).get()) as AsyncIterable<Uint8Array> & NodeJS.ReadableStream;
    } catch (err) {
      throw mapDockerError(err, this.dockerHost, ref);
    }
  }
}
