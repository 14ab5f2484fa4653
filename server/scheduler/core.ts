// The scheduler's shared state (instances, pools, recent exits) and the lookups over it; the parts
// split out of scheduler.ts (dispatch, launch, stopping, idle, deaths) all work on this one object.
import type { Logger } from "../log.ts";
import type { Health } from "../cog/cog-container.ts";
import type { GpuInventory } from "../runtime/gpus.ts";
import type { ContainerExit, ContainerRuntime } from "../runtime/runtime.ts";
import type { Clock } from "./clock.ts";
import type { InstanceMonitor } from "./monitor.ts";
import type { PlacedInstance } from "./placement.ts";
import type { Pool } from "./pool.ts";
import type { StatsBook } from "./stats.ts";
import type { Instance, RunSpec } from "./types.ts";

export interface SchedulerDeps {
  runtime: ContainerRuntime;
  clock: Clock;
  logger: Logger;
  shmSizeBytes: number;
  extraHosts: string[];
  /** labels put on every container (e.g. which modelhub owns it) */
  labels: Record<string, string>;
  inventory: GpuInventory;
  onSetupFailure(versionId: string, message: string, logs: string): void;
  stats?: StatsBook;
  /** a container's health (the Cog container client; tests pass a fake) */
  probe: (baseUrl: string, timeoutMs: number) => Promise<Health>;
  /** used MiB per GPU index (nvidia-smi); absent without real GPUs */
  gpuMemory?: () => Promise<Map<number, number>>;
  /** boot-time health poll interval (default 10 ms: only while booting, and every tick of it is cold-start latency) */
  healthPollMs?: number;
  /** health check and memory sample interval for running instances (default 5 s) */
  healthIntervalMs?: number;
  /** consecutive UNHEALTHY answers before an idle instance is replaced (default 3) */
  unhealthyLimit?: number;
  /** seconds docker gives a container between SIGTERM and SIGKILL (default 5) */
  stopTimeoutSeconds?: number;
}

/**
 * What the parts share. The operations are wired once in the Scheduler's constructor, so the parts
 * call one another through here instead of importing each other.
 */
export interface Core {
  readonly deps: SchedulerDeps;
  readonly stats: StatsBook;
  readonly probe: (baseUrl: string, timeoutMs: number) => Promise<Health>;
  readonly monitor: InstanceMonitor;
  readonly instances: Map<string, Instance>;
  readonly pools: Map<string, Pool>;
  closed: boolean;
  pumping: boolean;
  pumpAgain: boolean;
  /** callers of drain()/stop() waiting for an instance to be gone */
  readonly goneWaiters: Map<string, (() => void)[]>;

  pump(): void;
  pool(spec: RunSpec): Pool;
  start(pool: Pool, gpuIndices: number[]): void;
  watchExit(inst: Instance): void;
  containerExited(instanceId: string, exit: ContainerExit): Promise<void>;
  failed(pool: Pool): void;
  armIdle(inst: Instance): void;
  stop(inst: Instance, reason: string): Promise<void>;
  drain(instanceId: string, graceMs: number, reason: string): Promise<void>;
}

const LIVE = new Set(["starting", "ready", "unhealthy"]);

export function isLive(inst: Instance): boolean {
  return LIVE.has(inst.state);
}

export function live(c: Core, key: string): Instance[] {
  return [...c.instances.values()].filter((i) => i.key === key && LIVE.has(i.state));
}

export function freeInstance(c: Core, key: string): Instance | undefined {
  // Fill the most recently used instance first so extra instances go idle and can stop.
  let best: Instance | undefined;
  for (const i of c.instances.values())
    if (i.key === key && i.state === "ready" && i.inFlight < i.concurrency && (!best || i.lastUsedAt > best.lastUsedAt)) best = i;
  return best;
}

/** Its instances are all needed to meet min_instances: none may idle out or be evicted. */
export function keptWarm(c: Core, pool: Pool): boolean {
  return pool.warm && !pool.suspended && live(c, pool.key).length <= (pool.spec.minInstances ?? 0);
}

/** Instances as placement sees them: anything on its way out still holds its GPUs. */
export function placed(c: Core): PlacedInstance[] {
  return [...c.instances.values()].map((i) => {
    const pool = c.pools.get(i.key);
    const keepWarm = !!pool && keptWarm(c, pool);
    const state = i.state === "starting" ? "starting" : i.state === "ready" || i.state === "unhealthy" ? "ready" : "stopping";
    return { id: i.id, versionId: i.key, gpuIndices: i.gpuIndices, inFlight: i.inFlight, lastUsedAt: i.lastUsedAt, state, keepWarm };
  });
}

export function failWaiters(pool: Pool, err: Error): void {
  for (const w of pool.queue.splice(0)) {
    if (w.onAbort) w.signal?.removeEventListener("abort", w.onAbort);
    w.reject(err);
  }
}

export function whenGone(c: Core, inst: Instance): Promise<void> {
  if (c.instances.get(inst.id) !== inst) return Promise.resolve();
  return new Promise((resolve) => {
    const list = c.goneWaiters.get(inst.id) ?? [];
    list.push(resolve);
    c.goneWaiters.set(inst.id, list);
  });
}

/** Tells the holders of leases on `inst` why its container is gone. */
export function tellEnded(inst: Instance, reason: string, logs: string): void {
  inst.tellEnded({ reason, logs });
}

export function forget(c: Core, inst: Instance): void {
  clearTimers(c, inst);
  // Lease holders not told a reason yet hear the stop reason.
  inst.tellEnded({ reason: inst.stopReason ?? "its container is gone", logs: "" });
  if (c.instances.get(inst.id) === inst) c.instances.delete(inst.id);
  for (const resolve of c.goneWaiters.get(inst.id) ?? []) resolve();
  c.goneWaiters.delete(inst.id);
}

export function clearIdle(c: Core, inst: Instance): void {
  c.deps.clock.clearTimeout(inst.idleTimer);
  inst.idleTimer = undefined;
}

export function clearTimers(c: Core, inst: Instance): void {
  clearIdle(c, inst);
  c.deps.clock.clearTimeout(inst.healthTimer);
  inst.healthTimer = undefined;
}
