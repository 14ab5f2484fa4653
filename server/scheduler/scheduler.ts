// Decides which container serves each prediction. One pool per version (or deployment): a bounded FIFO
// queue, leases with reference counts, GPU placement (pinned → free → evict the least recently used
// idle instance → wait), scale-out up to max instances, keep-warm, idle stop, crash backoff and a
// remembered setup failure. The Docker side stays behind ContainerRuntime; time behind Clock.
// This class is the public face. Decisions are the pure planner's (planner.ts, placement.ts); the
// applier (apply-plan.ts) performs them whenever a part reports an event; the parts are launch
// (start and boot), stopping, idle (idle stop, keep-warm), deaths, adopt, lease and the health
// monitor, over the state in state.ts.
import type { GpuInventory } from "../runtime/gpus.ts";
import { type ContainerExit, type ContainerState, RuntimeError } from "../runtime/runtime.ts";
import { DockerNode } from "../runtime/docker-node.ts";
import { LOCAL_NODE, type ListedInstance, NODE_LABEL, poolOfOne } from "../runtime/runtime-node.ts";
import { chooseNodePlacement } from "./node-placement.ts";
import { adopt } from "./adopt.ts";
import { handle, pump } from "./apply-plan.ts";
import { containerExited, onEvent } from "./deaths.ts";
import { retryAfterSeconds } from "./estimate.ts";
import { EventWatch } from "./event-watch.ts";
import { armIdle, setWarm } from "./idle.ts";
import { lease } from "./lease.ts";
import { InstanceMonitor } from "./monitor.ts";
import { decideRequest, freeInstance } from "./planner.ts";
import { poolFor, type QueueInfo, queueInfoAt, type QueueView, queueViews, type Waiter } from "./pool.ts";
import { nodeLost, stopOn } from "./node-changes.ts";
import { isLive, live, nodeOf, type SchedulerDeps, type SchedulerState, failWaiters } from "./state.ts";
import { GUESS_PREDICT_MS, StatsBook } from "./stats.ts";
import { DEFAULT_RETIRE_MS, drain, retire, retireStale, stop, stopWhere } from "./stopping.ts";
import type { Instance, Lease } from "./instance-state.ts";
import { poolKey, type RunSpec } from "./run-spec.ts";
import { CanceledError, QueueFullError } from "./scheduler-errors.ts";

export { poolKey } from "./run-spec.ts";
export { CanceledError, QueueFullError, SetupFailedError } from "./scheduler-errors.ts";
export type { Instance, InstanceEnd, InstanceState, Lease } from "./instance-state.ts";
export type { RunSpec } from "./run-spec.ts";
export { describeExit } from "./exit.ts";
export type { QueueInfo, QueueView } from "./pool.ts";
export type { SchedulerDeps } from "./state.ts";

export class Scheduler {
  readonly stats: StatsBook;
  private c: SchedulerState;
  /** one lifecycle event stream per node */
  private events = new Map<string, EventWatch>();

  constructor(private deps: SchedulerDeps) {
    this.stats = deps.stats ?? new StatsBook();
    // The monitor reports its verdicts as events, like every other part.
    const tell = (e: Parameters<SchedulerState["tell"]>[0]) => handle(c, e);
    const monitor = new InstanceMonitor({
      clock: deps.clock,
      nodeOf: (inst) => nodeOf(c, inst),
      logger: deps.logger,
      stats: this.stats,
      probe: deps.probe,
      gpuMemory: deps.gpuMemory,
      intervalMs: deps.healthIntervalMs ?? 5_000,
      unhealthyLimit: deps.unhealthyLimit ?? 3,
      outOfService: (inst) => tell({ kind: "unhealthy", inst }),
      backInService: (inst) => tell({ kind: "healthy", inst }),
      replace: (inst, reason, countsAsFailure) => tell({ kind: "broken", inst, reason, countsAsFailure }),
    });
    const c: SchedulerState = {
      deps,
      stats: this.stats,
      monitor,
      instances: new Map(),
      pools: new Map(),
      nodes:
        deps.nodes ??
        poolOfOne(new DockerNode(LOCAL_NODE, deps.runtime), () => ({ gpus: deps.inventory.gpus, freeMemoryBytes: 0, note: deps.inventory.note })),
      closed: false,
      pumping: false,
      pumpAgain: false,
      goneWaiters: new Map(),
      tell,
    };
    this.c = c;
  }

  // ---- asking for work -------------------------------------------------------------------------

  /** A slot on a ready container of this spec's pool; waits (bounded, FIFO) when every slot is busy. */
  acquire(spec: RunSpec, signal?: AbortSignal, predictionId?: string): Promise<Lease> {
    const c = this.c;
    if (c.closed) return Promise.reject(new RuntimeError("modelhub is shutting down"));
    const pool = poolFor(c, spec);
    pool.suspended = false; // a new prediction ends a `modelhub stop`
    const full = this.queueFull(spec);
    const decision = decideRequest({
      closed: c.closed,
      setupFailed: !!pool.setupError,
      aborted: !!signal?.aborted,
      queued: pool.queue.length,
      queueFull: full !== null,
      freeInstanceId: freeInstance(c.instances.values(), pool.key)?.id ?? null,
    });
    if (decision.kind === "lease") return Promise.resolve(lease(c, c.instances.get(decision.instanceId)!, predictionId));
    if (decision.kind === "fail") {
      if (decision.why === "setup") return Promise.reject(pool.setupError);
      if (decision.why === "canceled") return Promise.reject(new CanceledError("canceled while queued"));
      if (decision.why === "full") return Promise.reject(full);
      return Promise.reject(new RuntimeError("modelhub is shutting down"));
    }
    return new Promise<Lease>((resolve, reject) => {
      const w: Waiter = { spec, predictionId, enqueuedAt: this.deps.clock.now(), resolve, reject, signal };
      if (signal) {
        // Cancelling a queued prediction takes it out of the line at once; nothing was started for it alone.
        w.onAbort = () => {
          const i = pool.queue.indexOf(w);
          if (i >= 0) pool.queue.splice(i, 1);
          reject(new CanceledError("canceled while queued"));
          pump(c);
        };
        signal.addEventListener("abort", w.onAbort, { once: true });
      }
      pool.queue.push(w);
      pump(c);
    });
  }

  /** The 429 a new prediction would get right now, or null when its pool's queue has room. */
  queueFull(asked: RunSpec): QueueFullError | null {
    const pool = this.c.pools.get(poolKey(asked));
    const spec = pool && (pool.spec.rev ?? 0) > (asked.rev ?? 0) ? pool.spec : asked;
    const queued = pool?.queue.length ?? 0;
    if (queued < spec.maxQueue) return null;
    const slots = Math.max(1, live(this.c, poolKey(spec)).length * Math.max(1, spec.concurrency));
    const retry = retryAfterSeconds(this.stats.avgPredictMs(spec.versionId) ?? GUESS_PREDICT_MS, slots);
    return new QueueFullError(
      `${spec.deployment ?? spec.model} already has ${queued} predictions waiting (its max_queue); try again in about ${retry} s`,
      retry,
    );
  }

  /** Why this spec can never run on this machine (e.g. needs a GPU and there is none), or null. */
  unfit(spec: RunSpec): string | null {
    const p = chooseNodePlacement(this.c.nodes.views(), [], {
      versionId: poolKey(spec),
      gpuCount: spec.gpuCount,
      pinned: spec.pinnedGpus,
      node: spec.node,
      nodeLabels: spec.nodeLabels,
    });
    if (p.kind !== "impossible") return null;
    return `${spec.deployment ?? spec.model} ${p.reason}`;
  }

  /** True when a container for this version is starting or ready (in any pool). */
  hasLive(versionId: string): boolean {
    for (const i of this.c.instances.values()) if (i.versionId === versionId && isLive(i)) return true;
    return false;
  }

  ping(): Promise<void> {
    return this.deps.runtime.ping();
  }

  /** Number of callers waiting in a pool (by pool key; a version id names the model's own pool). */
  queued(key: string): number {
    return this.c.pools.get(key)?.queue.length ?? 0;
  }

  list(): Instance[] {
    return [...this.c.instances.values()];
  }

  get(instanceId: string): Instance | undefined {
    return this.c.instances.get(instanceId);
  }

  inventory(): GpuInventory {
    return this.deps.inventory;
  }

  queues(): QueueView[] {
    return queueViews(this.c.pools.values(), this.deps.clock.now());
  }

  /** Where a queued prediction stands and when it should start; null once it has a slot (or is unknown). */
  queueInfo(predictionId: string): QueueInfo | null {
    for (const pool of this.c.pools.values()) {
      const position = pool.queue.findIndex((w) => w.predictionId === predictionId);
      if (position >= 0) return queueInfoAt(pool, position, live(this.c, pool.key), this.stats, this.deps.clock.now());
    }
    return null;
  }

  // ---- policy changes --------------------------------------------------------------------------

  /** The pools that must keep min instances up (model policies and deployments); started now, restarted after crashes. */
  setWarm(specs: readonly RunSpec[]): void {
    setWarm(this.c, specs);
  }

  /**
   * A changed policy: new idle timeouts apply to idle instances at once; instances of another version
   * or GPU selection (a new deployment release) finish their work within `retireGraceMs` and stop.
   */
  applySpec(spec: RunSpec, retireGraceMs = DEFAULT_RETIRE_MS): void {
    const c = this.c;
    const pool = c.pools.get(poolKey(spec));
    if (!pool || (spec.rev ?? 0) < (pool.spec.rev ?? 0)) return;
    pool.spec = { ...spec };
    retireStale(c, pool, retireGraceMs);
    for (const inst of c.instances.values()) if (inst.key === pool.key && inst.state === "ready" && inst.inFlight === 0) armIdle(c, inst);
    pump(c);
  }

  /** Drains every instance of a pool (a deleted deployment); accepted work still runs. */
  retire(key: string, reason: string, graceMs: number): void {
    retire(this.c, key, reason, graceMs);
  }

  /** Forget a remembered setup failure and crash backoff, so the next prediction (or keep-warm) boots it again. */
  retry(versionId: string): void {
    for (const pool of this.c.pools.values()) {
      if (pool.spec.versionId !== versionId) continue;
      pool.setupError = null;
      pool.failures = 0;
      pool.backoffUntil = 0;
      this.deps.clock.clearTimeout(pool.backoffTimer);
      pool.backoffTimer = undefined;
    }
    pump(this.c);
  }

  // ---- stopping --------------------------------------------------------------------------------

  /**
   * Stops an instance gracefully: it takes no new work, in-flight predictions get `graceMs` to finish,
   * then the container is stopped and whatever still runs fails with `reason`.
   */
  drain(instanceId: string, graceMs: number, reason: string): Promise<void> {
    return drain(this.c, instanceId, graceMs, reason);
  }

  /** A container that says its model server is broken for good (coglet's dead worker) is replaced now, not at its next health check. */
  reportBroken(baseUrl: string, reason: string): void {
    for (const inst of this.c.instances.values())
      if (inst.baseUrl === baseUrl && (inst.state === "ready" || inst.state === "unhealthy")) handle(this.c, { kind: "broken", inst, reason, countsAsFailure: true });
  }

  /**
   * Stops an instance at once (a cancel that did not take effect, a container that cannot call
   * back); running work fails with `reason`. Nothing is started in its place here: the next
   * prediction (or keep-warm) starts a fresh container.
   */
  stopNow(instanceId: string, reason: string): Promise<void> {
    const inst = this.c.instances.get(instanceId);
    return inst ? stop(this.c, inst, reason) : Promise.resolve();
  }

  /**
   * `modelhub stop`: drains the matching instances (in-flight work gets `graceMs`, then fails with
   * `reason`), fails their pools' queued predictions with `reason`, and pauses keep-warm for those
   * pools until their next prediction, so a stopped model stays stopped.
   */
  stopWhere(
    match: (x: { model: string; deployment: string | null; versionId: string; instanceId?: string }) => boolean,
    graceMs: number,
    reason: string,
  ): Promise<{ stopped: string[]; failedQueued: number }> {
    return stopWhere(this.c, match, graceMs, reason);
  }

  async close(): Promise<void> {
    const c = this.c;
    c.closed = true;
    for (const w of this.events.values()) w.close();
    this.events.clear();
    for (const pool of c.pools.values()) {
      failWaiters(pool, new RuntimeError("modelhub is shutting down"));
      this.deps.clock.clearTimeout(pool.backoffTimer);
    }
    await Promise.all([...c.instances.values()].map((i) => stop(c, i, "modelhub is shutting down")));
  }

  // ---- Docker events and restarts ----------------------------------------------------------------

  /** Follows every node's event stream so a dead container is noticed at once; reconnects with backoff. */
  async watchEvents(): Promise<void> {
    // Remote nodes are followed once they answer (the node service calls watchNode then).
    await Promise.all(this.c.nodes.views().filter((n) => n.state === "up").map((n) => this.watchNode(n.name)));
  }

  /** Follows one node's events (a node added or back); `onLost` hears when its stream breaks. */
  watchNode(name: string, onLost?: (err: Error) => void): Promise<void> {
    const node = this.c.nodes.node(name);
    if (!node || this.c.closed) return Promise.resolve();
    this.events.get(name)?.close();
    const w = new EventWatch(node, this.deps.clock, this.deps.logger, (e) => void onEvent(this.c, name, e), onLost);
    this.events.set(name, w);
    return w.start();
  }

  /** Stops following a node's events (it was removed). */
  unwatchNode(name: string): void {
    this.events.get(name)?.close();
    this.events.delete(name);
  }

  /** A node stopped answering: its instances are lost (running work fails naming it), queued work goes elsewhere. */
  nodeLost(name: string, reason: string): string[] {
    return nodeLost(this.c, name, reason);
  }

  /** Stops every instance on a node (it is being removed). */
  stopOn(name: string, reason: string): Promise<void> {
    return stopOn(this.c, name, reason);
  }

  /** How many instances run (or start, or stop) on a node. */
  instancesOn(name: string): number {
    return [...this.c.instances.values()].filter((i) => i.node === name).length;
  }

  /** Nodes changed (added, drained, back up, new inventory): plan again, since work may now fit. */
  nodesChanged(): void {
    pump(this.c);
  }

  /**
   * Takes over containers a previous run of this modelhub left (found by label): healthy idle ones
   * whose version still resolves become ready instances, and so do busy ones whose running
   * predictions `held` names (by instance id), each then holding a lease; everything else is removed.
   */
  adopt(
    containers: readonly ContainerState[],
    resolve: (labels: Record<string, string>) => RunSpec | null,
    held?: (instanceId: string) => readonly string[],
  ): Promise<{ adopted: number; removed: number; leases: { predictionId: string; lease: Lease }[] }> {
    // Containers another node's engine on this machine started (a node on this socket) are that node's to reconcile.
    const listed = containers.filter((ct) => !ct.labels[NODE_LABEL]).map((ct): ListedInstance => ({
      handle: ct.id,
      running: ct.running,
      endpoint: ct.running && ct.hostPort ? `http://127.0.0.1:${ct.hostPort}` : null,
      labels: ct.labels,
      startedAt: ct.startedAt,
    }));
    return adopt(this.c, LOCAL_NODE, listed, resolve, held);
  }

  /** Reconciles a node that came back (or was added) by label: idle instances whose spec still resolves are adopted, the rest removed. */
  adoptOn(
    node: string,
    listed: readonly ListedInstance[],
    resolve: (labels: Record<string, string>) => RunSpec | null,
  ): Promise<{ adopted: number; removed: number }> {
    const known = new Set([...this.c.instances.values()].filter((i) => i.node === node).map((i) => i.containerId));
    return adopt(this.c, node, listed.filter((l) => !known.has(l.handle)), resolve);
  }

  /** Marks an instance's container dead (from the event stream or the wait backstop) and cleans it up. */
  containerExited(instanceId: string, exit: ContainerExit): Promise<void> {
    return containerExited(this.c, instanceId, exit);
  }
}
