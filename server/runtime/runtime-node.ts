// The runtime seam: one interface for wherever instances run. A node is one engine (the Docker engine
// beside modelhub is the node "local"; a GPU machine's dockerd reached over mTLS is another; a
// Kubernetes adapter would make each Pod start go through the same calls). Readiness and predictions
// stay outside it: the scheduler polls `{endpoint}/health-check` and the proxy talks to `{endpoint}`.
import type { Gpu } from "./gpus.ts";
import type { ContainerLimits, GpuRequest } from "./runtime.ts";

/** The node an instance runs on when there is only the engine beside modelhub. */
export const LOCAL_NODE = "local";
/** Which node a container was started on (also a reconciliation filter). */
export const NODE_LABEL = "dev.modelhub.node";

/** What a node has. GPU indices are the node's own (nvidia-smi's numbering there). */
export interface NodeInventory {
  cpus: number;
  memoryBytes: number;
  gpus: Gpu[];
  gpuSource: "nvidia-smi" | "none" | "fake";
  note?: string;
}

/** One instance to start, whatever runs it. */
export interface InstanceSpec {
  /** unique on the node: the container's (or Pod's) name */
  name: string;
  /** "sha256:<digest>": a version is an image digest, so a re-tag cannot change what runs */
  image: string;
  /** none, every GPU, or devices by index or UUID */
  gpus: GpuRequest;
  env: string[];
  /** arguments after the image's entrypoint; undefined keeps the image's CMD */
  cmd?: string[];
  shmSizeBytes: number;
  labels: Record<string, string>;
  /** the model's limits; absent = the node's defaults */
  limits?: ContainerLimits;
  /** how the container reaches modelhub (webhooks, uploads, input files), e.g. host.docker.internal:host-gateway */
  extraHosts: string[];
}

export interface StartedInstance {
  /** the container id (Docker) or Pod name (Kubernetes): what stop, logs and events name */
  handle: string;
  /** the base URL modelhub speaks the Cog protocol to */
  endpoint: string;
}

export interface InstanceExit {
  exitCode: number;
  oomKilled: boolean;
}

/** An instance found by label (reconciliation after a restart, or after a node comes back). */
export interface ListedInstance {
  handle: string;
  running: boolean;
  /** null when it is not running or cannot be reached */
  endpoint: string | null;
  labels: Record<string, string>;
  startedAt: string | null;
}

export type LifecycleEvent =
  | { kind: "running"; handle: string }
  | { kind: "oom"; handle: string }
  | { kind: "exited"; handle: string; exitCode: number | null }
  /** nothing on the node can take it (a Pod stuck Pending; a Docker engine never says this) */
  | { kind: "unschedulable"; handle: string; reason: string }
  | { kind: "image-failed"; handle: string; reason: string };

export interface RuntimeNode {
  readonly name: string;
  /** resolves when the node answers; throws DockerUnavailableError otherwise */
  ping(): Promise<void>;
  /** makes sure the image (by digest) is on the node before start; progress as text lines */
  ensureImage?(image: string, onProgress?: (line: string) => void): Promise<void>;
  /** starts the spec; the instance is removed again if it cannot start */
  start(spec: InstanceSpec): Promise<StartedInstance>;
  /** stops exactly this instance (SIGTERM, `graceSeconds`, SIGKILL) and removes it; one already gone is fine */
  stop(handle: string, graceSeconds: number): Promise<void>;
  /** removes it at once (after it exited, or when a start is abandoned) */
  remove(handle: string): Promise<void>;
  /** resolves when the instance exits: the backstop for a lifecycle event stream that was reconnecting */
  exited(handle: string): Promise<InstanceExit>;
  /** whether it was killed for memory (asked once an exit is seen, in case the oom event was missed) */
  oomKilled(handle: string): Promise<boolean>;
  list(labels: Record<string, string>): Promise<ListedInstance[]>;
  logs(handle: string, tailLines?: number): Promise<string>;
  /** one memory sample (only a metric, so optional) */
  memory?(handle: string): Promise<{ memoryBytes: number; peakBytes?: number }>;
  /** lifecycle events of modelhub's instances until the returned function is called; onLost when the stream breaks */
  watch(onEvent: (e: LifecycleEvent) => void, onLost: (err: Error) => void): Promise<() => void>;
}

/** What a node looks like to placement (pure data, refreshed by whoever owns the nodes). */
export interface NodeView {
  name: string;
  /** up: takes work; draining: keeps what runs, takes nothing new; down: lost, takes nothing */
  state: "up" | "draining" | "down";
  labels: Record<string, string>;
  gpus: readonly Gpu[];
  /** free memory in bytes (for the tie-break between nodes that can all take an instance) */
  freeMemoryBytes: number;
  /** whether the node already has this image ("sha256:…"), when known */
  hasImage?: (image: string) => boolean;
  note?: string;
}

/** The nodes the scheduler may place on, and how to reach each. One owner (the node service, or a pool of one). */
export interface NodeDirectory {
  node(name: string): RuntimeNode | undefined;
  views(): NodeView[];
}

/** The engine beside modelhub as the only node: what every single-machine setup runs on. */
export function poolOfOne(node: RuntimeNode, view: () => Omit<NodeView, "name" | "state" | "labels">): NodeDirectory {
  return {
    node: (name) => (name === node.name ? node : undefined),
    views: () => [{ name: node.name, state: "up", labels: {}, ...view() }],
  };
}
