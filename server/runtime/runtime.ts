// The narrow interface modelhub uses to run containers, and the typed errors it may throw.
// docker.ts implements it over dockerode; tests may implement it in memory.

export const MANAGED_LABEL = "dev.modelhub.managed";
export const VERSION_LABEL = "dev.modelhub.version";
export const INSTANCE_LABEL = "dev.modelhub.instance";
/** Which modelhub (data folder) owns a container, so two servers on one engine never touch each other's. */
export const OWNER_LABEL = "dev.modelhub.owner";
/** The scheduler pool an instance serves (a version id, or "deployment:owner/name"), so a restart can adopt it. */
export const POOL_LABEL = "dev.modelhub.pool";
/** GPU indices assigned to the instance ("" for none), so a restart knows which GPUs an adopted container holds. */
export const GPUS_LABEL = "dev.modelhub.gpus";

export interface ImageInfo {
  /** content digest of the image config, 64 hex (Docker's image id without "sha256:") */
  digest: string;
  repoTags: string[];
  labels: Record<string, string>;
  env: string[];
  createdAt: string;
}

export type GpuRequest =
  | { kind: "none" }
  | { kind: "all" }
  | { kind: "devices"; ids: string[] };

/** A container's resource limits; 0 = no limit. */
export interface ContainerLimits {
  /** bytes */
  memoryBytes: number;
  /** CPUs, e.g. 2.5 */
  cpus: number;
  /** processes */
  pids: number;
}

export interface ContainerSpec {
  image: string;
  name?: string;
  env: string[];
  /** arguments appended to the image's entrypoint; undefined keeps the image's CMD */
  cmd?: string[];
  labels: Record<string, string>;
  gpus: GpuRequest;
  shmSizeBytes: number;
  /** host:ip pairs, e.g. host.docker.internal:host-gateway */
  extraHosts: string[];
  /** this container's limits (the model's policy); absent = the runtime's own defaults */
  limits?: ContainerLimits;
}

export interface ContainerState {
  id: string;
  running: boolean;
  status: string; // created | running | exited | dead | ...
  exitCode: number | null;
  oomKilled: boolean;
  /** 127.0.0.1 port mapped to the container's 5000, when running */
  hostPort: number | null;
  labels: Record<string, string>;
  startedAt: string | null;
  image: string;
  /** the container's name, without Docker's leading slash (a relay reaches containers by name) */
  name?: string;
}

export interface ContainerExit {
  exitCode: number;
  oomKilled: boolean;
}

export interface ContainerEvent {
  containerId: string;
  action: "die" | "oom" | "start" | "stop" | "kill" | "destroy";
  exitCode: number | null;
  labels: Record<string, string>;
}

export interface ContainerRuntime {
  /** Resolves when the engine answers; throws DockerUnavailableError otherwise. */
  ping(): Promise<void>;
  inspectImage(ref: string): Promise<ImageInfo>;
  /** Creates the container (not started); returns its id. */
  create(spec: ContainerSpec): Promise<string>;
  /** Starts a created container, returning its state with the published port; removes it if it cannot start. */
  start(id: string): Promise<ContainerState>;
  inspect(id: string): Promise<ContainerState>;
  /** Resolves when the container exits. */
  wait(id: string): Promise<ContainerExit>;
  stop(id: string, timeoutSeconds: number): Promise<void>;
  remove(id: string): Promise<void>;
  logs(id: string, tailLines?: number): Promise<string>;
  list(labels: Record<string, string>): Promise<ContainerState[]>;
  /** One memory sample of a running container (docker stats, one-shot); optional because it is only a metric. */
  stats?(id: string): Promise<{ memoryBytes: number; peakBytes?: number }>;
  /** Streams container events for modelhub's containers until the returned function is called. */
  events(onEvent: (e: ContainerEvent) => void, onError?: (err: Error) => void): Promise<() => void>;
}

export class RuntimeError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}
export class DockerUnavailableError extends RuntimeError {}
export class ImageNotFoundError extends RuntimeError {}
/** A string that is not a Docker image reference: never sent to the engine. */
export class InvalidImageReferenceError extends RuntimeError {}
export class ContainerNotFoundError extends RuntimeError {}
export class GpuUnavailableError extends RuntimeError {}
/** The engine refused what it was asked (its 400: a malformed image reference, a bad parameter). */
export class EngineRefusedError extends RuntimeError {}
