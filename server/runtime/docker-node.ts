// A node that is a Docker engine: the RuntimeNode seam over ContainerRuntime (dockerode). The engine
// beside modelhub publishes each container's port 5000 on 127.0.0.1; a remote engine publishes nothing
// and its containers are reached through the endpoint its relay gives (see docs/scaling.md).
import {
  type ContainerRuntime,
  type ContainerState,
  ImageNotFoundError,
  RuntimeError,
} from "./runtime.ts";
import type { InstanceExit, InstanceSpec, LifecycleEvent, ListedInstance, RuntimeNode, StartedInstance } from "./runtime-node.ts";

export interface DockerNodeOptions {
  /** the base URL of a started container; default: its port published on 127.0.0.1 */
  endpoint?: (state: ContainerState, containerName: string) => string | null;
  /** how containers here reach modelhub (replaces the spec's: e.g. host.docker.internal at the relay's gateway) */
  extraHosts?: string[];
  /** brings a missing image to this engine (pull from modelhub's registry, or stream from the local engine) */
  fetchImage?: (image: string, onProgress: (line: string) => void) => Promise<void>;
  /** what this engine knows an image by (a pushed version's registry reference → its image id); default: as given */
  engineRef?: (image: string) => string;
}

const loopbackEndpoint = (state: ContainerState) => (state.hostPort ? `http://127.0.0.1:${state.hostPort}` : null);

export class DockerNode implements RuntimeNode {
  private names = new Map<string, string>();
  constructor(
    readonly name: string,
    readonly runtime: ContainerRuntime,
    private options: DockerNodeOptions = {},
  ) {}

  ping(): Promise<void> {
    return this.runtime.ping();
  }

  async ensureImage(image: string, onProgress: (line: string) => void = () => {}): Promise<void> {
    try {
      await this.check(image);
      return;
    } catch (err) {
      if (!(err instanceof ImageNotFoundError) || !this.options.fetchImage) throw err;
    }
    await this.options.fetchImage(image, onProgress);
    await this.check(image);
  }

  private ref(image: string): string {
    return this.options.engineRef?.(image) ?? image;
  }

  /** An image asked for by digest must be that digest on this engine, whatever it came through. */
  private async check(asked: string): Promise<void> {
    const image = this.ref(asked);
    const info = await this.runtime.inspectImage(image);
    const want = /^sha256:([0-9a-f]{64})$/.exec(image)?.[1];
    if (want && info.digest !== want) throw new RuntimeError(`node ${this.name} has ${image} as sha256:${info.digest}, not the digest asked for`);
  }

  async start(spec: InstanceSpec): Promise<StartedInstance> {
    const id = await this.runtime.create({
      image: this.ref(spec.image),
      name: spec.name,
      env: spec.env,
      cmd: spec.cmd,
      labels: spec.labels,
      gpus: spec.gpus,
      shmSizeBytes: spec.shmSizeBytes,
      extraHosts: this.options.extraHosts ?? spec.extraHosts,
      ...(spec.limits ? { limits: spec.limits } : {}),
    });
    let state: ContainerState;
    try {
      state = await this.runtime.start(id);
    } catch (err) {
      throw Object.assign(err as Error, { handle: id });
    }
    const endpoint = (this.options.endpoint ?? loopbackEndpoint)(state, spec.name);
    if (!endpoint) {
      await this.runtime.remove(id).catch(() => {});
      throw new RuntimeError("Docker did not publish the container's port 5000");
    }
    this.names.set(id, spec.name);
    return { handle: id, endpoint };
  }

  async stop(handle: string, graceSeconds: number): Promise<void> {
    await this.runtime.stop(handle, graceSeconds);
    await this.remove(handle);
  }

  async remove(handle: string): Promise<void> {
    this.names.delete(handle);
    await this.runtime.remove(handle);
  }

  exited(handle: string): Promise<InstanceExit> {
    return this.runtime.wait(handle);
  }

  async oomKilled(handle: string): Promise<boolean> {
    return (await this.runtime.inspect(handle)).oomKilled;
  }

  async list(labels: Record<string, string>): Promise<ListedInstance[]> {
    return (await this.runtime.list(labels)).map((c) => ({
      handle: c.id,
      running: c.running,
      endpoint: c.running ? (this.options.endpoint ?? loopbackEndpoint)(c, c.name ?? "") : null,
      labels: c.labels,
      startedAt: c.startedAt,
    }));
  }

  logs(handle: string, tailLines?: number): Promise<string> {
    return this.runtime.logs(handle, tailLines);
  }

  memory(handle: string): Promise<{ memoryBytes: number; peakBytes?: number }> {
    if (!this.runtime.stats) return Promise.reject(new RuntimeError("no memory figures"));
    return this.runtime.stats(handle);
  }

  watch(onEvent: (e: LifecycleEvent) => void, onLost: (err: Error) => void): Promise<() => void> {
    return this.runtime.events((e) => {
      if (e.action === "start") onEvent({ kind: "running", handle: e.containerId });
      else if (e.action === "oom") onEvent({ kind: "oom", handle: e.containerId });
      else if (e.action === "die") onEvent({ kind: "exited", handle: e.containerId, exitCode: e.exitCode });
    }, onLost);
  }
}
