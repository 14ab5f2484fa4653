// What the scheduler runs (an Instance: one container and its slots), why one ended, and what it
// hands out (a Lease on one slot).
import type { ContainerExit, ContainerLimits } from "../runtime/runtime.ts";

/**
 * starting → ready ⇄ unhealthy → draining → stopping → (gone); any live state → dead when the container exits.
 * Only `ready` takes new leases. `draining` finishes its in-flight work, then stops.
 */
export type InstanceState = "starting" | "ready" | "unhealthy" | "draining" | "stopping" | "dead";

export interface Instance {
  id: string;
  key: string;
  versionId: string;
  model: string;
  deployment: string | null;
  /** the node it runs on ("local": the engine beside modelhub) */
  node: string;
  /** its handle on that node (the container id), once started */
  containerId: string | null;
  /** its endpoint: where health checks and predictions go */
  baseUrl: string | null;
  state: InstanceState;
  inFlight: number;
  concurrency: number;
  createdAt: number;
  readyAt: number | null;
  lastUsedAt: number;
  gpuIndices: number[];
  /** GPUs assigned on paper only (--gpus fake:N): the container got no device request */
  simulatedGpus: boolean;
  /** start time of each in-flight lease, by lease id (for queue estimates and predict-time metrics) */
  leases: Map<number, { startedAt: number; predictionId?: string }>;
  exit: ContainerExit | null;
  adopted: boolean;
  peakMemoryBytes: number | null;
  /** the Cog server its health answered as ("coglet 0.22.0", "python"), once it did */
  cogServer?: string;
  /** why it is being stopped, told to predictions that were still running on it */
  stopReason: string | null;
  unhealthyChecks: number;
  oomSeen: boolean;
  /** the limits its container was created with (null: the runtime's defaults), to explain an OOM and spot stale instances */
  limits: ContainerLimits | null;
  /** when memory was last sampled (docker stats), to keep sampling cheap */
  sampledAt?: number;
  idleTimer: unknown;
  healthTimer: unknown;
  /** why the container is gone, once it is */
  end: InstanceEnd | null;
  /** lease holders waiting for `end` (a released lease takes its watcher out, so none piles up) */
  endWatchers: Set<(end: InstanceEnd) => void>;
}

/** Why an instance's container is gone, told to the predictions that were running on it. */
export interface InstanceEnd {
  reason: string;
  /** the container's last log lines, when it died on its own */
  logs: string;
}

export interface Lease {
  instanceId: string;
  containerId: string;
  baseUrl: string;
  /** the instance was adopted from a previous run of modelhub (its container command may be stale) */
  adopted: boolean;
  /** Resolves when the lease's container is gone (died, stopped, replaced) while the lease is held, with the reason. */
  readonly ended: Promise<InstanceEnd>;
  release(): void;
}
