// What the scheduler is asked to run (RunSpec: an image plus its effective policy) and the pool a
// spec belongs to.
import type { ContainerLimits } from "../runtime/runtime.ts";

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
  /** run only on this node (absent: wherever placement finds room) */
  node?: string;
  /** run only on nodes carrying these labels */
  nodeLabels?: Record<string, string>;
  /** policy revision it was built from: a pool never goes back to a spec older than the one it has (callers may cache specs) */
  rev?: number;
}

export const poolKey = (spec: Pick<RunSpec, "key" | "versionId">): string => spec.key ?? spec.versionId;
