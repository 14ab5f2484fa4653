// Decides which container serves each prediction. One pool per version (or deployment): a bounded FIFO
// queue, leases with reference counts, GPU placement (pinned → free → evict the least recently used
// idle instance → wait), scale-out up to max instances, keep-warm, idle stop, crash backoff and a
// remembered setup failure. The Docker side stays behind ContainerRuntime; time behind Clock.
import { checkHealth, type Health } from "../runtime/cog-client.ts";
import type { GpuInventory } from "../runtime/gpus.ts";
import {
  type ContainerEvent,
  type ContainerExit,
  type ContainerRuntime,
  type ContainerState,
  DockerUnavailableError,
  GPUS_LABEL,
  GpuUnavailableError,
  INSTANCE_LABEL,
  POOL_LABEL,
  RuntimeError,
  VERSION_LABEL,
} from "../runtime/runtime.ts";
import type { Logger } from "../log.ts";
import { backoffMs } from "./backoff.ts";
import { waitReady } from "./boot.ts";
import type { Clock } from "./clock.ts";
import { retryAfterSeconds } from "./estimate.ts";
import { EventWatch } from "./event-watch.ts";
import { describeExit } from "./exit.ts";
import { leftoverGpus, newInstance } from "./instance.ts";
import { InstanceMonitor } from "./monitor.ts";
import { choosePlacement, type PlacedInstance, shouldScaleOut } from "./placement.ts";
import { newPool, type Pool, type QueueInfo, queueInfoAt, type QueueView, queueViews, type Waiter } from "./pool.ts";
import { GUESS_PREDICT_MS, StatsBook } from "./stats.ts";
import { CanceledError, type Instance, type Lease, poolKey, QueueFullError, type RunSpec, SetupFailedError } from "./types.ts";

export { CanceledError, QueueFullError, SetupFailedError, poolKey } from "./types.ts";
export type { Instance, InstanceState, Lease, RunSpec } from "./types.ts";
export { describeExit } from "./exit.ts";
export type { QueueInfo, QueueView } from "./pool.ts";

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
  /** health probe; tests pass a fake, production uses the Cog HTTP client */
  probe?: (baseUrl: string, timeoutMs: number) => Promise<Health>;
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

let leaseSeq = 0;

const LIVE = new Set(["starting", "ready", "unhealthy"]);
/** How long a replaced instance (new release, deleted deployment) may finish its work. */
const DEFAULT_RETIRE_MS = 10 * 60_000;

export class Scheduler {
  private instances = new Map<string, Instance>();
  private pools = new Map<string, Pool>();
  private closed = false;
  private pumping = false;
  private pumpAgain = false;
  readonly stats: StatsBook;
  private probe: (baseUrl: string, timeoutMs: number) => Promise<Health>;
  /** Exits of instances already forgotten, kept briefly so failed predictions can say what happened. */
  private recentExits = new Map<string, { reason: string; logs: string }>();
  private events: EventWatch;
  private monitor: InstanceMonitor;
  /** callers of drain()/stop() waiting for an instance to be gone */
  private goneWaiters = new Map<string, (() => void)[]>();

  constructor(private deps: SchedulerDeps) {
    this.stats = deps.stats ?? new StatsBook();
    this.probe = deps.probe ?? checkHealth;
    this.events = new EventWatch(deps.runtime, deps.clock, deps.logger, (e) => void this.onEvent(e));
    this.monitor = new InstanceMonitor({
      clock: deps.clock,
      runtime: deps.runtime,
      logger: deps.logger,
      stats: this.stats,
      probe: this.probe,
      gpuMemory: deps.gpuMemory,
      intervalMs: deps.healthIntervalMs ?? 5_000,
      unhealthyLimit: deps.unhealthyLimit ?? 3,
      outOfService: (inst) => {
        inst.state = "unhealthy";
        this.clearIdle(inst);
        this.pump(); // its queue may need another instance
      },
      backInService: (inst) => {
        inst.state = "ready";
        this.pump();
        if (inst.inFlight === 0) this.armIdle(inst);
      },
      replace: (inst, reason, countsAsFailure) => {
        const pool = this.pools.get(inst.key);
        if (pool && countsAsFailure) this.failed(pool);
        void this.stop(inst, reason);
      },
    });
  }

  // ---- asking for work -------------------------------------------------------------------------

  /** A slot on a ready container of this spec's pool; waits (bounded, FIFO) when every slot is busy. */
  acquire(spec: RunSpec, signal?: AbortSignal, predictionId?: string): Promise<Lease> {
    if (this.closed) return Promise.reject(new RuntimeError("modelhub is shutting down"));
    const pool = this.pool(spec);
    pool.suspended = false; // a new prediction ends a `modelhub stop`
    if (pool.setupError) return Promise.reject(pool.setupError);
    if (signal?.aborted) return Promise.reject(new CanceledError("canceled while queued"));
    const inst = this.freeInstance(pool.key);
    if (inst && pool.queue.length === 0) return Promise.resolve(this.lease(inst, predictionId));
    const full = this.queueFull(spec);
    if (full) return Promise.reject(full);
    return new Promise<Lease>((resolve, reject) => {
      const w: Waiter = { spec, predictionId, enqueuedAt: this.deps.clock.now(), resolve, reject, signal };
      if (signal) {
        // Cancelling a queued prediction takes it out of the line at once; nothing was started for it alone.
        w.onAbort = () => {
          const i = pool.queue.indexOf(w);
          if (i >= 0) pool.queue.splice(i, 1);
          reject(new CanceledError("canceled while queued"));
          this.pump();
        };
        signal.addEventListener("abort", w.onAbort, { once: true });
      }
      pool.queue.push(w);
      this.pump();
    });
  }

  /** The 429 a new prediction would get right now, or null when its pool's queue has room. */
  queueFull(asked: RunSpec): QueueFullError | null {
    const pool = this.pools.get(poolKey(asked));
    const spec = pool && (pool.spec.rev ?? 0) > (asked.rev ?? 0) ? pool.spec : asked;
    const queued = pool?.queue.length ?? 0;
    if (queued < spec.maxQueue) return null;
    const slots = Math.max(1, this.live(poolKey(spec)).length * Math.max(1, spec.concurrency));
    const retry = retryAfterSeconds(this.stats.avgPredictMs(spec.versionId) ?? GUESS_PREDICT_MS, slots);
    return new QueueFullError(
      `${spec.deployment ?? spec.model} already has ${queued} predictions waiting (its max_queue); try again in about ${retry} s`,
      retry,
    );
  }

  /** Why this spec can never run on this machine (e.g. needs a GPU and there is none), or null. */
  unfit(spec: RunSpec): string | null {
    const p = choosePlacement(this.deps.inventory.gpus, [], { versionId: poolKey(spec), gpuCount: spec.gpuCount, pinned: spec.pinnedGpus });
    if (p.kind !== "impossible") return null;
    return `${spec.deployment ?? spec.model} ${p.reason}`;
  }

  /** True when a container for this version is starting or ready (in any pool). */
  hasLive(versionId: string): boolean {
    for (const i of this.instances.values()) if (i.versionId === versionId && LIVE.has(i.state)) return true;
    return false;
  }

  ping(): Promise<void> {
    return this.deps.runtime.ping();
  }

  /** Number of callers waiting in a pool (by pool key; a version id names the model's own pool). */
  queued(key: string): number {
    return this.pools.get(key)?.queue.length ?? 0;
  }

  list(): Instance[] {
    return [...this.instances.values()];
  }

  get(instanceId: string): Instance | undefined {
    return this.instances.get(instanceId);
  }

  inventory(): GpuInventory {
    return this.deps.inventory;
  }

  queues(): QueueView[] {
    return queueViews(this.pools.values(), this.deps.clock.now());
  }

  /** Where a queued prediction stands and when it should start; null once it has a slot (or is unknown). */
  queueInfo(predictionId: string): QueueInfo | null {
    for (const pool of this.pools.values()) {
      const position = pool.queue.findIndex((w) => w.predictionId === predictionId);
      if (position >= 0) return queueInfoAt(pool, position, this.live(pool.key), this.stats, this.deps.clock.now());
    }
    return null;
  }

  /** Why an instance's container is gone, for the error of a prediction that was running on it. */
  exitReason(instanceId: string): { reason: string; logs: string } | null {
    return this.recentExits.get(instanceId) ?? null;
  }

  // ---- policy changes --------------------------------------------------------------------------

  /** The pools that must keep min instances up (model policies and deployments); started now, restarted after crashes. */
  setWarm(specs: readonly RunSpec[]): void {
    const want = new Map(specs.filter((s) => (s.minInstances ?? 0) > 0).map((s) => [poolKey(s), s]));
    for (const pool of this.pools.values()) if (!want.has(pool.key)) pool.warm = false;
    for (const spec of want.values()) this.pool(spec).warm = true;
    // Instances that stopped being warm may now idle out.
    for (const inst of this.instances.values()) if (inst.state === "ready" && inst.inFlight === 0) this.armIdle(inst);
    this.pump();
  }

  /**
   * A changed policy: new idle timeouts apply to idle instances at once; instances of another version
   * or GPU selection (a new deployment release) finish their work within `retireGraceMs` and stop.
   */
  applySpec(spec: RunSpec, retireGraceMs = DEFAULT_RETIRE_MS): void {
    const pool = this.pools.get(poolKey(spec));
    if (!pool || (spec.rev ?? 0) < (pool.spec.rev ?? 0)) return;
    pool.spec = { ...spec };
    this.retireStale(pool, retireGraceMs);
    for (const inst of this.instances.values()) if (inst.key === pool.key && inst.state === "ready" && inst.inFlight === 0) this.armIdle(inst);
    this.pump();
  }

  /** Drains every instance of a pool (a deleted deployment); accepted work still runs. */
  retire(key: string, reason: string, graceMs: number): void {
    const pool = this.pools.get(key);
    if (pool) pool.warm = false;
    for (const inst of this.live(key)) void this.drain(inst.id, graceMs, reason);
  }

  private retireStale(pool: Pool, graceMs: number): void {
    const spec = pool.spec;
    for (const inst of this.live(pool.key)) {
      const pinnedOk = !spec.pinnedGpus?.length || spec.pinnedGpus.join() === inst.gpuIndices.join();
      if (inst.versionId === spec.versionId && inst.gpuIndices.length === spec.gpuCount && pinnedOk) continue;
      void this.drain(inst.id, graceMs, `replaced: ${spec.deployment ?? spec.model} now runs ${spec.versionId.slice(0, 12)} on ${spec.gpuCount} GPU(s)`);
    }
  }

  /** Forget a remembered setup failure and crash backoff, so the next prediction (or keep-warm) boots it again. */
  retry(versionId: string): void {
    for (const pool of this.pools.values()) {
      if (pool.spec.versionId !== versionId) continue;
      pool.setupError = null;
      pool.failures = 0;
      pool.backoffUntil = 0;
      this.deps.clock.clearTimeout(pool.backoffTimer);
      pool.backoffTimer = undefined;
    }
    this.pump();
  }

  // ---- stopping --------------------------------------------------------------------------------

  /**
   * Stops an instance gracefully: it takes no new work, in-flight predictions get `graceMs` to finish,
   * then the container is stopped and whatever still runs fails with `reason`.
   */
  drain(instanceId: string, graceMs: number, reason: string): Promise<void> {
    const inst = this.instances.get(instanceId);
    if (!inst) return Promise.resolve();
    if (inst.state === "stopping" || inst.state === "draining") return this.whenGone(inst);
    if (inst.inFlight === 0 || inst.state === "starting" || inst.state === "dead") return this.stop(inst, reason);
    inst.state = "draining";
    inst.stopReason = reason;
    this.clearTimers(inst);
    // The idle timer slot doubles as the grace timer; the last release stops it sooner.
    inst.idleTimer = this.deps.clock.setTimeout(
      () => void this.stop(inst, `${reason}; its ${Math.round(graceMs / 1000)} s grace period ran out`),
      graceMs,
    );
    this.pump(); // queued work of this pool may need another instance
    return this.whenGone(inst);
  }

  /** Stops at once (a cancel that did not take effect, an operator's force stop); running work fails with `reason`. */
  restart(instanceId: string, reason: string): Promise<void> {
    const inst = this.instances.get(instanceId);
    return inst ? this.stop(inst, reason) : Promise.resolve();
  }

  /**
   * `modelhub stop`: drains the matching instances (in-flight work gets `graceMs`, then fails with
   * `reason`), fails their pools' queued predictions with `reason`, and pauses keep-warm for those
   * pools until their next prediction, so a stopped model stays stopped.
   */
  async stopWhere(
    match: (x: { model: string; deployment: string | null; versionId: string; instanceId?: string }) => boolean,
    graceMs: number,
    reason: string,
  ): Promise<{ stopped: string[]; failedQueued: number }> {
    let failedQueued = 0;
    const targets = this.list().filter((i) => i.state !== "stopping" && match({ model: i.model, deployment: i.deployment, versionId: i.versionId, instanceId: i.id }));
    const keys = new Set(targets.map((i) => i.key));
    for (const pool of this.pools.values()) {
      // Stopping one instance pauses its pool's keep-warm; stopping a whole model also ends its queue.
      const whole = match({ model: pool.spec.model, deployment: pool.spec.deployment ?? null, versionId: pool.spec.versionId });
      if (whole || keys.has(pool.key)) pool.suspended = true;
      if (!whole) continue;
      failedQueued += pool.queue.length;
      this.failWaiters(pool, new RuntimeError(reason));
    }
    await Promise.all(targets.map((i) => this.drain(i.id, graceMs, reason)));
    return { stopped: targets.map((i) => i.id), failedQueued };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.events.close();
    for (const pool of this.pools.values()) {
      this.failWaiters(pool, new RuntimeError("modelhub is shutting down"));
      this.deps.clock.clearTimeout(pool.backoffTimer);
    }
    await Promise.all([...this.instances.values()].map((i) => this.stop(i, "modelhub is shutting down")));
  }

  // ---- Docker events and restarts ----------------------------------------------------------------

  /** Follows the engine's event stream so a dead container is noticed at once; reconnects with backoff. */
  watchEvents(): Promise<void> {
    return this.events.start();
  }

  private async onEvent(e: ContainerEvent): Promise<void> {
    const inst = [...this.instances.values()].find((i) => i.containerId !== null && i.containerId === e.containerId);
    if (!inst) return;
    if (e.action === "oom") inst.oomSeen = true;
    if (e.action !== "die") return;
    // The "oom" event comes before "die"; inspect as well in case the stream missed it.
    const oom = inst.oomSeen || (await this.deps.runtime.inspect(e.containerId).then((s) => s.oomKilled, () => false));
    await this.containerExited(inst.id, { exitCode: e.exitCode ?? -1, oomKilled: oom });
  }

  /**
   * Takes over containers a previous run of this modelhub left (found by label): healthy ones whose
   * version still resolves become ready instances; everything else is removed.
   */
  async adopt(
    containers: readonly ContainerState[],
    resolve: (labels: Record<string, string>) => RunSpec | null,
  ): Promise<{ adopted: number; removed: number }> {
    let adopted = 0;
    let removed = 0;
    for (const c of containers) {
      const spec = c.running && c.hostPort ? resolve(c.labels) : null;
      const gpus = leftoverGpus(c, spec, this.deps.inventory, new Set(this.list().flatMap((i) => i.gpuIndices)));
      const baseUrl = `http://127.0.0.1:${c.hostPort}`;
      // Only an idle READY container is safe: a BUSY one is still running a prediction whose caller is gone.
      if (gpus && (await this.probe(baseUrl, 1000)).status === "READY") {
        const now = this.deps.clock.now();
        const inst = newInstance(spec!, gpus, now, this.deps.inventory);
        inst.id = c.labels[INSTANCE_LABEL] ?? inst.id;
        inst.containerId = c.id;
        inst.baseUrl = baseUrl;
        inst.state = "ready";
        inst.adopted = true;
        inst.createdAt = c.startedAt ? Date.parse(c.startedAt) : now;
        inst.readyAt = now;
        this.pool(spec!);
        this.instances.set(inst.id, inst);
        this.watchExit(inst);
        this.monitor.watch(inst);
        this.armIdle(inst);
        adopted++;
      } else {
        await this.deps.runtime.remove(c.id).catch(() => {});
        removed++;
      }
    }
    this.pump();
    return { adopted, removed };
  }

  /** Marks an instance's container dead (from the event stream or the wait backstop) and cleans it up. */
  async containerExited(instanceId: string, exit: ContainerExit): Promise<void> {
    const inst = this.instances.get(instanceId);
    if (!inst || inst.state === "dead" || inst.state === "stopping") return;
    const wasStarting = inst.state === "starting";
    inst.exit = exit;
    inst.state = "dead";
    this.clearTimers(inst);
    if (wasStarting) return; // the boot loop reports it
    const pool = this.pools.get(inst.key);
    this.deps.logger.warn("container exited", { model: inst.model, instance: inst.id, exitCode: exit.exitCode, oom: exit.oomKilled });
    // Read the container's last words before removing it: they usually say why it died.
    const logs = inst.containerId ? await this.deps.runtime.logs(inst.containerId, 50).catch(() => "") : "";
    this.remember(inst.id, describeExit(exit), logs);
    this.forget(inst);
    if (inst.containerId) void this.deps.runtime.remove(inst.containerId).catch(() => {});
    if (pool) this.failed(pool);
    this.pump();
  }

  // ---- the loop ---------------------------------------------------------------------------------

  /**
   * Re-plans everything: hands free slots to waiters, then starts, evicts or waits for capacity.
   * Called after every change (new waiter, release, ready, exit, stop), so "wait" needs no timer.
   */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        // The oldest waiting request gets the next free GPU, whichever model it is for.
        const busy = [...this.pools.values()].filter((p) => p.queue.length > 0).sort((a, b) => a.queue[0].enqueuedAt - b.queue[0].enqueuedAt);
        for (const pool of busy) {
          this.serve(pool);
          if (pool.queue.length > 0) this.plan(pool, false);
          else pool.waitReason = null;
        }
        for (const pool of this.pools.values()) if (pool.warm && pool.queue.length === 0) this.plan(pool, true);
      } while (this.pumpAgain && !this.closed);
    } finally {
      this.pumping = false;
    }
  }

  private serve(pool: Pool): void {
    while (pool.queue.length) {
      const inst = this.freeInstance(pool.key);
      if (!inst) return;
      const w = pool.queue.shift()!;
      if (w.onAbort) w.signal?.removeEventListener("abort", w.onAbort);
      w.resolve(this.lease(inst, w.predictionId));
    }
  }

  /** Decides whether this pool gets another instance now, and where. */
  private plan(pool: Pool, warmOnly: boolean): void {
    if (this.closed) return;
    const spec = pool.spec;
    if (pool.setupError) {
      this.failWaiters(pool, pool.setupError);
      return;
    }
    const live = this.live(pool.key);
    const min = pool.warm && !pool.suspended ? (spec.minInstances ?? 0) : 0;
    const max = Math.max(1, spec.maxInstances ?? 1);
    const wantWarm = live.length < Math.min(min, max);
    const wantQueue =
      !warmOnly &&
      shouldScaleOut({
        queued: pool.queue.length,
        // An unhealthy instance takes no work but still counts toward the cap.
        instances: live.map((i) => ({ state: i.state === "starting" ? "starting" : "ready", inFlight: i.state === "unhealthy" ? i.concurrency : i.inFlight })),
        maxInstances: max,
        concurrencyPerInstance: Math.max(1, spec.concurrency),
      });
    if (!wantWarm && !wantQueue) return;
    const now = this.deps.clock.now();
    if (pool.backoffUntil > now) {
      pool.waitReason = `restarting in ${Math.ceil((pool.backoffUntil - now) / 1000)} s after ${pool.failures} failures in a row`;
      if (!pool.backoffTimer)
        pool.backoffTimer = this.deps.clock.setTimeout(() => {
          pool.backoffTimer = undefined;
          this.pump();
        }, pool.backoffUntil - now);
      return;
    }
    const placement = choosePlacement(this.deps.inventory.gpus, this.placed(), { versionId: pool.key, gpuCount: spec.gpuCount, pinned: spec.pinnedGpus });
    const name = spec.deployment ?? spec.model;
    switch (placement.kind) {
      case "place":
        pool.waitReason = null;
        this.start(pool, placement.gpus);
        return;
      case "evict":
        // Scale-out only uses free GPUs; stopping another model's instance is for a pool that has none.
        if (live.length > 0 && !wantWarm) {
          pool.waitReason = null;
          return;
        }
        pool.waitReason = `evicting ${placement.instanceIds.join(", ")} to free GPU ${placement.gpus.join(", ")}`;
        for (const id of placement.instanceIds) {
          const victim = this.instances.get(id);
          if (victim) void this.stop(victim, `evicted (least recently used) to make room for ${name}`);
        }
        return;
      case "wait":
        pool.waitReason = placement.reason;
        return;
      case "impossible": {
        const note = this.deps.inventory.note ? ` (${this.deps.inventory.note})` : "";
        pool.waitReason = `${name} ${placement.reason}`;
        if (live.length === 0) this.failWaiters(pool, new GpuUnavailableError(`${name} ${placement.reason}${note}`));
        return;
      }
    }
  }

  // ---- instances --------------------------------------------------------------------------------

  /** Registers the instance at once (so the next pump sees it) and boots it in the background. */
  private start(pool: Pool, gpuIndices: number[]): void {
    const inst = newInstance(pool.spec, gpuIndices, this.deps.clock.now(), this.deps.inventory);
    this.instances.set(inst.id, inst);
    void this.boot(inst, pool, pool.spec);
  }

  private async boot(inst: Instance, pool: Pool, spec: RunSpec): Promise<void> {
    const { runtime, clock, logger } = this.deps;
    logger.info("starting container", { model: spec.model, deployment: spec.deployment ?? undefined, instance: inst.id, gpus: inst.gpuIndices });
    try {
      inst.containerId = await runtime.create({
        image: spec.image,
        name: `modelhub-${(spec.deployment ?? spec.model).replace(/[^a-zA-Z0-9_.-]/g, "-")}-${inst.id}`,
        // Cog batches output/log webhooks every 0.5 s by default; 0.1 s lets streams show tokens as
        // they come (modelhub throttles users' own webhooks itself). Below 0.1 Python drops `start`.
        env: ["COG_LOG_LEVEL=warning", "COG_THROTTLE_RESPONSE_INTERVAL=0.1"],
        cmd: spec.cmd,
        labels: {
          ...this.deps.labels,
          [VERSION_LABEL]: spec.versionId,
          [INSTANCE_LABEL]: inst.id,
          [POOL_LABEL]: inst.key,
          [GPUS_LABEL]: inst.gpuIndices.join(","),
        },
        // A simulated inventory assigns devices on paper only: the container gets no device request.
        gpus: inst.gpuIndices.length === 0 || inst.simulatedGpus ? { kind: "none" } : { kind: "devices", ids: inst.gpuIndices.map(String) },
        shmSizeBytes: this.deps.shmSizeBytes,
        extraHosts: this.deps.extraHosts,
      });
      if (inst.state === "stopping") {
        // stop() ran while the container was being created (shutdown, modelhub stop): it had no id to remove.
        void runtime.remove(inst.containerId).catch(() => {});
        return;
      }
      const state = await runtime.start(inst.containerId);
      if (!state.hostPort) throw new RuntimeError("Docker did not publish the container's port 5000");
      inst.baseUrl = `http://127.0.0.1:${state.hostPort}`;
    } catch (err) {
      this.forget(inst);
      if (inst.containerId) void runtime.remove(inst.containerId).catch(() => {});
      if (this.closed) return;
      logger.warn("could not start container", { model: spec.model, error: (err as Error).message });
      this.failWaiters(pool, err as Error);
      if (!(err instanceof DockerUnavailableError)) this.failed(pool);
      this.pump();
      return;
    }
    this.watchExit(inst);
    const failure = await waitReady(inst, spec.deployment ?? spec.model, spec.setupTimeoutMs, {
      clock,
      runtime,
      probe: this.probe,
      pollMs: this.deps.healthPollMs ?? 10,
      isClosed: () => this.closed,
    });
    if (failure) {
      // (state is re-read: stop() may have run while we awaited)
      if ((inst.state as string) === "stopping" || this.closed) return; // stop() cleans up
      logger.warn("container setup failed", { model: spec.model, instance: inst.id, reason: failure.message });
      // Remembered first, so nothing boots the same image meanwhile; the container is gone (and its GPUs
      // free) before the waiting predictions hear about it, so a failed prediction leaves nothing behind.
      inst.state = "stopping";
      const pools = this.setupFailed(spec, failure);
      await runtime.remove(inst.containerId).catch(() => {});
      this.forget(inst);
      for (const pool of pools) this.failWaiters(pool, failure);
      this.pump();
      return;
    }
    if (inst.state !== "starting") return; // died or was stopped just as it became ready
    inst.state = "ready";
    inst.readyAt = clock.now();
    this.stats.recordBoot(inst.versionId, inst.readyAt - inst.createdAt);
    logger.info("container ready", { model: spec.model, instance: inst.id, bootMs: inst.readyAt - inst.createdAt });
    this.monitor.watch(inst);
    this.pump();
    if (inst.inFlight === 0) this.armIdle(inst);
  }

  /** Remembers a setup failure for every pool of the version and fails their queues with it. */
  /** Remembers a setup failure (catalog and every pool of the version); returns those pools. */
  private setupFailed(spec: RunSpec, failure: SetupFailedError): Pool[] {
    if (failure.message.includes("shutting down")) return [];
    this.deps.onSetupFailure(spec.versionId, failure.message, failure.logs);
    const pools = [...this.pools.values()].filter((pool) => pool.spec.versionId === spec.versionId);
    for (const pool of pools) pool.setupError = failure;
    return pools;
  }

  private watchExit(inst: Instance): void {
    // Backstop for the event stream (which may be reconnecting): the engine answers this when the container exits.
    void this.deps.runtime.wait(inst.containerId!).then(
      (exit) => this.containerExited(inst.id, exit),
      () => {},
    );
  }

  /** Counts a failure in a row and sets the backoff before the pool may start again. */
  private failed(pool: Pool): void {
    pool.failures++;
    const wait = backoffMs(pool.failures);
    pool.backoffUntil = wait > 0 ? this.deps.clock.now() + wait : 0;
    if (wait > 0) this.deps.logger.warn("backing off before restarting", { model: pool.spec.model, failures: pool.failures, waitMs: wait });
  }

  private lease(inst: Instance, predictionId?: string): Lease {
    const { clock } = this.deps;
    const id = leaseSeq++;
    const startedAt = clock.now();
    inst.inFlight++;
    inst.leases.set(id, { startedAt, predictionId });
    inst.lastUsedAt = startedAt;
    clock.clearTimeout(inst.idleTimer);
    inst.idleTimer = undefined;
    let released = false;
    return {
      instanceId: inst.id,
      containerId: inst.containerId!,
      baseUrl: inst.baseUrl!,
      release: () => {
        if (released) return;
        released = true;
        const now = clock.now();
        inst.inFlight--;
        inst.leases.delete(id);
        inst.lastUsedAt = now;
        if (inst.state === "ready") {
          this.stats.recordPredict(inst.versionId, now - startedAt);
          // It survived a whole prediction: the crash streak is over.
          const pool = this.pools.get(inst.key);
          if (pool) pool.failures = 0;
          this.monitor.sampleMemory(inst, 1_000);
        }
        if (inst.state === "draining" && inst.inFlight === 0) void this.stop(inst, inst.stopReason ?? "stopped");
        this.pump();
        if (inst.inFlight === 0 && inst.state === "ready") this.armIdle(inst);
      },
    };
  }

  /**
   * The idle timer runs only at zero leases and is cleared by the next lease, so idle stop never
   * kills live work. Keep-warm instances (up to the pool's min) never idle out.
   */
  private armIdle(inst: Instance): void {
    this.deps.clock.clearTimeout(inst.idleTimer);
    inst.idleTimer = undefined;
    const pool = this.pools.get(inst.key);
    if (!pool || inst.state !== "ready" || inst.inFlight > 0) return;
    const ms = pool.spec.idleTimeoutMs;
    if (ms < 0) return;
    if (this.keptWarm(pool)) return;
    inst.idleTimer = this.deps.clock.setTimeout(() => {
      inst.idleTimer = undefined;
      if (inst.inFlight !== 0 || inst.state !== "ready") return;
      // Re-check keep-warm: the min may have been raised since the timer was armed.
      if (this.keptWarm(pool)) return;
      this.deps.logger.info("stopping idle container", { model: inst.model, instance: inst.id, idleMs: ms });
      void this.stop(inst, "stopped after its idle timeout");
    }, ms);
  }

  private stop(inst: Instance, reason: string): Promise<void> {
    if (inst.state === "stopping") return this.whenGone(inst);
    const wasDead = inst.state === "dead";
    inst.state = "stopping";
    inst.stopReason = reason;
    this.clearTimers(inst);
    // Predictions still running on it fail with this reason rather than "lost contact".
    if (inst.inFlight > 0) this.remember(inst.id, reason, "");
    const gone = this.whenGone(inst);
    void (async () => {
      try {
        if (inst.containerId && !wasDead) await this.deps.runtime.stop(inst.containerId, this.deps.stopTimeoutSeconds ?? 5);
        if (inst.containerId) await this.deps.runtime.remove(inst.containerId);
      } catch (err) {
        this.deps.logger.warn("could not stop container", { instance: inst.id, error: (err as Error).message });
      } finally {
        this.forget(inst);
        this.pump();
      }
    })();
    return gone;
  }

  private whenGone(inst: Instance): Promise<void> {
    if (this.instances.get(inst.id) !== inst) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.goneWaiters.get(inst.id) ?? [];
      list.push(resolve);
      this.goneWaiters.set(inst.id, list);
    });
  }

  private remember(instanceId: string, reason: string, logs: string): void {
    this.recentExits.set(instanceId, { reason, logs });
    if (this.recentExits.size > 100) this.recentExits.delete(this.recentExits.keys().next().value!);
  }

  private forget(inst: Instance): void {
    this.clearTimers(inst);
    if (this.instances.get(inst.id) === inst) this.instances.delete(inst.id);
    for (const resolve of this.goneWaiters.get(inst.id) ?? []) resolve();
    this.goneWaiters.delete(inst.id);
  }

  private clearIdle(inst: Instance): void {
    this.deps.clock.clearTimeout(inst.idleTimer);
    inst.idleTimer = undefined;
  }

  private clearTimers(inst: Instance): void {
    this.clearIdle(inst);
    this.deps.clock.clearTimeout(inst.healthTimer);
    inst.healthTimer = undefined;
  }

  // ---- lookups ----------------------------------------------------------------------------------

  private pool(spec: RunSpec): Pool {
    const key = poolKey(spec);
    let pool = this.pools.get(key);
    if (!pool) {
      pool = newPool(spec);
      this.pools.set(key, pool);
    } else if ((spec.rev ?? 0) >= (pool.spec.rev ?? 0)) {
      pool.spec = spec;
      this.retireStale(pool, DEFAULT_RETIRE_MS);
    }
    return pool;
  }

  /** Its instances are all needed to meet min_instances: none may idle out or be evicted. */
  private keptWarm(pool: Pool): boolean {
    return pool.warm && !pool.suspended && this.live(pool.key).length <= (pool.spec.minInstances ?? 0);
  }

  private live(key: string): Instance[] {
    return [...this.instances.values()].filter((i) => i.key === key && LIVE.has(i.state));
  }

  private freeInstance(key: string): Instance | undefined {
    // Fill the most recently used instance first so extra instances go idle and can stop.
    let best: Instance | undefined;
    for (const i of this.instances.values())
      if (i.key === key && i.state === "ready" && i.inFlight < i.concurrency && (!best || i.lastUsedAt > best.lastUsedAt)) best = i;
    return best;
  }

  /** Instances as placement sees them: anything on its way out still holds its GPUs. */
  private placed(): PlacedInstance[] {
    return this.list().map((i) => {
      const pool = this.pools.get(i.key);
      const keepWarm = !!pool && this.keptWarm(pool);
      const state = i.state === "starting" ? "starting" : i.state === "ready" || i.state === "unhealthy" ? "ready" : "stopping";
      return { id: i.id, versionId: i.key, gpuIndices: i.gpuIndices, inFlight: i.inFlight, lastUsedAt: i.lastUsedAt, state, keepWarm };
    });
  }

  private failWaiters(pool: Pool, err: Error): void {
    for (const w of pool.queue.splice(0)) {
      if (w.onAbort) w.signal?.removeEventListener("abort", w.onAbort);
      w.reject(err);
    }
  }
}
