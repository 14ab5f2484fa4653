// The scheduler's vocabulary: what it is asked to run (RunSpec), what it runs (Instance), what it hands
// out (Lease), and the errors callers must tell apart.
import type { ContainerExit, ContainerLimits } from "../runtime/runtime.ts";

/** What the scheduler needs to know about a version to run it: the image plus its effective policy. */
export interface RunSpec {
  /** which pool serves it: the version id (default), or "deployment:owner/name" for a deployment's own instances */
  key?: string;
  versionId: string;
  model: string; // owner/name, for container names and messages
  deployment?: string | null;
  image: string; // "sha256:<digest>" so a re-tagged image cannot change a version
  gpuCount: number;
  /** exact GPU indices (per-model pinning); its length is gpuCount */
  pinnedGpus?: number[];
  concurrency: number;
  maxQueue: number;
  idleTimeoutMs: number; // < 0 = never stop; 0 = stop as soon as idle
  setupTimeoutMs: number;
  /** container command (after the image's entrypoint); undefined keeps the image's CMD. Set by Policies (Cog's --upload-url). */
  cmd?: string[];
  /** keep this many instances up (started at boot, never idle-stopped or evicted) */
  minInstances?: number;
  /** scale out up to this many instances while the queue outgrows the free slots */
  maxInstances?: number;
  /** container memory/CPU/process limits from the model's policy (absent: the runtime's defaults) */
  limits?: ContainerLimits;
  /** policy revision it was built from: a pool never goes back to a spec older than the one it has (callers may cache specs) */
  rev?: number;
}

export const poolKey = (spec: Pick<RunSpec, "key" | "versionId">): string => spec.key ?? spec.versionId;

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
  containerId: string | null;
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

/** Setup failed: the container reported SETUP_FAILED, exited while booting, or never became ready. */
export class SetupFailedError extends Error {
  constructor(message: string, readonly logs: string) {
    super(message);
  }
}
export class QueueFullError extends Error {
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(message);
  }
}
export class CanceledError extends Error {}
