// The scheduler's state (instances, pools) and the lookups over it, plus `tell`: the one way the
// parts (launch, stopping, idle, deaths, the health monitor, leases) report what happened. Every
// event goes to apply-plan.ts, which asks the pure planner what to do and does it, so the parts
// never call one another.
import type { Health } from "../cog/cog-container.ts";
import type { Logger } from "../log.ts";
import type { GpuInventory } from "../runtime/gpus.ts";
import { RuntimeError, type ContainerRuntime } from "../runtime/runtime.ts";
import type { NodeDirectory, RuntimeNode } from "../runtime/runtime-node.ts";
import type { Clock } from "./clock.ts";
import type { InstanceMonitor } from "./monitor.ts";
import { keptWarm } from "./planner.ts";
import type { Pool } from "./pool.ts";
import type { StatsBook } from "./stats.ts";
import type { Instance } from "./instance-state.ts";

export interface SchedulerDeps {
  /** the engine beside modelhub: the node "local" when `nodes` is absent */
  runtime: ContainerRuntime;
  /** where instances may run (absent: a pool of one, the local engine with `inventory`) */
  nodes?: NodeDirectory;
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

/** What the parts report. */
export type SchedulerEvent =
  /** queues, leases or instances changed (a request queued, a release, an exit, a stop, a new policy): plan again */
  | { kind: "changed" }
  /** an instance became ready */
  | { kind: "ready"; inst: Instance }
  /** an instance's idle timer fired */
  | { kind: "idle"; inst: Instance }
  /** a lease on `inst` was released */
  | { kind: "released"; inst: Instance }
  /** the health monitor's verdicts */
  | { kind: "unhealthy"; inst: Instance }
  | { kind: "healthy"; inst: Instance }
  | { kind: "broken"; inst: Instance; reason: string; countsAsFailure: boolean };

export interface SchedulerState {
  readonly deps: SchedulerDeps;
  readonly stats: StatsBook;
  readonly monitor: InstanceMonitor;
  readonly instances: Map<string, Instance>;
  readonly pools: Map<string, Pool>;
  /** the nodes instances run on */
  readonly nodes: NodeDirectory;
  closed: boolean;
  /** the applier is planning; a `changed` meanwhile plans once more after it */
  pumping: boolean;
  pumpAgain: boolean;
  /** callers of drain()/stop() waiting for an instance to be gone */
  readonly goneWaiters: Map<string, (() => void)[]>;
  /** reports an event to the applier (apply-plan.ts) */
  tell(e: SchedulerEvent): void;
}

const LIVE = new Set(["starting", "ready", "unhealthy"]);

/** The node an instance runs on; one that was removed meanwhile answers every call with an error. */
export function nodeOf(c: SchedulerState, inst: Pick<Instance, "node">): RuntimeNode {
  return c.nodes.node(inst.node) ?? goneNode(inst.node);
}

function goneNode(name: string): RuntimeNode {
  const fail = () => Promise.reject(new RuntimeError(`node ${name} is no longer known to modelhub`));
  return { name, ping: fail, start: fail, stop: fail, remove: fail, exited: () => new Promise(() => {}), oomKilled: fail, list: fail, logs: fail, watch: fail };
}

export function isLive(inst: Instance): boolean {
  return LIVE.has(inst.state);
}

export function live(c: SchedulerState, key: string): Instance[] {
  return [...c.instances.values()].filter((i) => i.key === key && LIVE.has(i.state));
}

/** Its instances are all needed to meet min_instances: none may idle out or be evicted. */
export function poolKeptWarm(c: SchedulerState, pool: Pool): boolean {
  return keptWarm({ warm: pool.warm, suspended: pool.suspended, minInstances: pool.spec.minInstances ?? 0 }, live(c, pool.key).length);
}

export function failWaiters(pool: Pool, err: Error): void {
  for (const w of pool.queue.splice(0)) {
    if (w.onAbort) w.signal?.removeEventListener("abort", w.onAbort);
    w.reject(err);
  }
}

export function whenGone(c: SchedulerState, inst: Instance): Promise<void> {
  if (c.instances.get(inst.id) !== inst) return Promise.resolve();
  return new Promise((resolve) => {
    const list = c.goneWaiters.get(inst.id) ?? [];
    list.push(resolve);
    c.goneWaiters.set(inst.id, list);
  });
}

/** Tells the holders of leases on `inst` why its container is gone. */
export function tellEnded(inst: Instance, reason: string, logs: string): void {
  if (inst.end) return; // the first reason is the true one
  inst.end = { reason, logs };
  for (const watcher of inst.endWatchers) watcher(inst.end);
  inst.endWatchers.clear();
}

export function forget(c: SchedulerState, inst: Instance): void {
  clearTimers(c, inst);
  // Lease holders not told a reason yet hear the stop reason.
  tellEnded(inst, inst.stopReason ?? "its container is gone", "");
  if (c.instances.get(inst.id) === inst) c.instances.delete(inst.id);
  for (const resolve of c.goneWaiters.get(inst.id) ?? []) resolve();
  c.goneWaiters.delete(inst.id);
}

export function clearIdle(c: SchedulerState, inst: Instance): void {
  c.deps.clock.clearTimeout(inst.idleTimer);
  inst.idleTimer = undefined;
}

export function clearTimers(c: SchedulerState, inst: Instance): void {
  clearIdle(c, inst);
  c.deps.clock.clearTimeout(inst.healthTimer);
  inst.healthTimer = undefined;
}
