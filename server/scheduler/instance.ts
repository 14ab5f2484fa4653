// Building Instance records: a fresh one for a container about to start, and the check that a
// container left by a previous run still fits (its GPUs, its spec) before it is adopted.
import type { Gpu } from "../runtime/gpus.ts";
import { GPUS_LABEL } from "../runtime/runtime.ts";
import type { ListedInstance } from "../runtime/runtime-node.ts";
import type { Instance } from "./instance-state.ts";
import { poolKey, type RunSpec } from "./run-spec.ts";

let seq = 0;
const newInstanceId = () => `i${Date.now().toString(36)}${(seq++).toString(36)}`;

/** `nodeGpus`: the GPUs of the node it runs on (to tell simulated ones, which get no device request). */
export function newInstance(spec: RunSpec, node: string, gpuIndices: number[], now: number, nodeGpus: readonly Gpu[]): Instance {
  return {
    id: newInstanceId(),
    key: poolKey(spec),
    versionId: spec.versionId,
    model: spec.model,
    deployment: spec.deployment ?? null,
    node,
    containerId: null,
    baseUrl: null,
    state: "starting",
    inFlight: 0,
    concurrency: Math.max(1, spec.concurrency),
    createdAt: now,
    readyAt: null,
    lastUsedAt: now,
    gpuIndices,
    simulatedGpus: gpuIndices.length > 0 && gpuIndices.every((g) => nodeGpus.find((x) => x.index === g)?.simulated ?? false),
    leases: new Map(),
    exit: null,
    adopted: false,
    peakMemoryBytes: null,
    stopReason: null,
    unhealthyChecks: 0,
    oomSeen: false,
    limits: spec.limits ?? null,
    idleTimer: undefined,
    healthTimer: undefined,
    end: null,
    endWatchers: new Set(),
  };
}

/**
 * The GPUs a leftover container may keep, or null when it must be removed: it must be running and
 * published, its spec still resolve, and its GPUs (from its label) exist, be free and match the spec.
 */
export function leftoverGpus(c: ListedInstance, spec: RunSpec | null, nodeGpus: readonly Gpu[], held: ReadonlySet<number>): number[] | null {
  if (!spec || !c.running || !c.endpoint) return null;
  const gpus = (c.labels[GPUS_LABEL] ?? "").split(",").filter(Boolean).map(Number);
  if (gpus.length !== spec.gpuCount) return null;
  if (!gpus.every((g) => nodeGpus.some((x) => x.index === g) && !held.has(g))) return null;
  if (spec.pinnedGpus?.length && !spec.pinnedGpus.every((g) => gpus.includes(g))) return null;
  return gpus;
}
