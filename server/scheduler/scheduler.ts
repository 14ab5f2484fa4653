// Decides which container serves each prediction: starts containers on demand, waits for READY,
// hands out leases (reference-counted slots), queues callers when every slot is busy, and stops
// containers once they have been idle long enough. The Docker side stays behind ContainerRuntime.
import { checkHealth } from "../runtime/cog-client.ts";
import {
  type ContainerExit,
  type ContainerRuntime,
  type GpuRequest,
  DockerUnavailableError,
  INSTANCE_LABEL,
  RuntimeError,
  VERSION_LABEL,
} from "../runtime/runtime.ts";
import type { Logger } from "../log.ts";
import type { Clock } from "./clock.ts";

/** What the scheduler needs to know about a version to run it. */
export interface RunSpec {
  versionId: string;
  model: string; // owner/name, for container names and messages
  image: string; // what to run: "sha256:<digest>" so a re-tagged image cannot change a version
  gpuCount: number;
  concurrency: number;
  maxQueue: number;
  idleTimeoutMs: number; // < 0 = never stop
  setupTimeoutMs: number;
}

export type InstanceState = "starting" | "ready" | "stopping" | "dead";

export interface Instance {
  id: string;
  versionId: string;
  model: string;
  containerId: string | null;
  baseUrl: string | null;
  state: InstanceState;
  inFlight: number;
  concurrency: number;
  createdAt: number;
  readyAt: number | null;
  lastUsedAt: number;
  gpus: GpuRequest;
  exit: ContainerExit | null;
  idleTimer: unknown;
}

export interface Lease {
  instanceId: string;
  containerId: string;
  baseUrl: string;
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

interface Waiter {
  spec: RunSpec;
  resolve(lease: Lease): void;
  reject(err: Error): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export interface SchedulerDeps {
  runtime: ContainerRuntime;
  clock: Clock;
  logger: Logger;
  shmSizeBytes: number;
  extraHosts: string[];
  /** labels put on every container (e.g. which modelhub owns it) */
  labels: Record<string, string>;
  /** GPU request for a spec; throws a user-facing error when it cannot be met */
  gpuRequest(spec: RunSpec): GpuRequest;
  onSetupFailure(versionId: string, message: string, logs: string): void;
  healthPollMs?: number;
}

let seq = 0;
const newInstanceId = () => `i${Date.now().toString(36)}${(seq++).toString(36)}`;

export class Scheduler {
  private instances = new Map<string, Instance>();
  private queues = new Map<string, Waiter[]>();
  private closed = false;

  constructor(private deps: SchedulerDeps) {}

  /** A slot on a ready container of this version; waits (bounded) when all are busy. */
  acquire(spec: RunSpec, signal?: AbortSignal): Promise<Lease> {
    if (this.closed) return Promise.reject(new RuntimeError("modelhub is shutting down"));
    const inst = this.freeInstance(spec.versionId);
    const queue = this.queue(spec.versionId);
    if (inst && queue.length === 0) return Promise.resolve(this.lease(inst));
    if (queue.length >= spec.maxQueue)
      return Promise.reject(
        new QueueFullError(`${spec.model} already has ${queue.length} predictions waiting (the limit); try again shortly`, 1),
      );
    return new Promise<Lease>((resolve, reject) => {
      const w: Waiter = { spec, resolve, reject, signal };
      if (signal) {
        if (signal.aborted) return reject(new CanceledError("canceled while queued"));
        w.onAbort = () => {
          const q = this.queue(spec.versionId);
          const i = q.indexOf(w);
          if (i >= 0) q.splice(i, 1);
          reject(new CanceledError("canceled while queued"));
        };
        signal.addEventListener("abort", w.onAbort, { once: true });
      }
      queue.push(w);
      this.dispatch(spec);
    });
  }

  /** True when a container for this version is starting or ready. */
  hasLive(versionId: string): boolean {
    for (const i of this.instances.values()) if (i.versionId === versionId && (i.state === "ready" || i.state === "starting")) return true;
    return false;
  }

  ping(): Promise<void> {
    return this.deps.runtime.ping();
  }

  /** Number of callers waiting for a slot of this version. */
  queued(versionId: string): number {
    return this.queue(versionId).length;
  }

  list(): Instance[] {
    return [...this.instances.values()];
  }

  get(instanceId: string): Instance | undefined {
    return this.instances.get(instanceId);
  }

  /** Why an instance's container is gone, for the error of a prediction that was running on it. */
  exitReason(instanceId: string): { reason: string; logs: string } | null {
    const gone = this.recentExits.get(instanceId);
    if (gone) return { reason: describeExit(gone.exit), logs: gone.logs };
    return null;
  }

  /** Exits of instances already forgotten, kept briefly so failed predictions can say what happened. */
  private recentExits = new Map<string, { exit: ContainerExit; logs: string }>();

  /** Marks an instance's container dead (from a failed request or a Docker event) and cleans it up. */
  async containerExited(instanceId: string, exit: ContainerExit): Promise<void> {
    const inst = this.instances.get(instanceId);
    if (!inst || inst.state === "dead") return;
    const wasStarting = inst.state === "starting";
    inst.exit = exit;
    inst.state = "dead";
    this.deps.clock.clearTimeout(inst.idleTimer);
    if (wasStarting) return; // the boot loop reports it
    this.deps.logger.warn("container exited", { model: inst.model, instance: inst.id, exitCode: exit.exitCode, oom: exit.oomKilled });
    // Read the container's last words before removing it: they usually say why it died.
    const logs = inst.containerId ? await this.deps.runtime.logs(inst.containerId, 50).catch(() => "") : "";
    this.recentExits.set(inst.id, { exit, logs });
    if (this.recentExits.size > 100) this.recentExits.delete(this.recentExits.keys().next().value!);
    this.forget(inst);
    if (inst.containerId) void this.deps.runtime.remove(inst.containerId).catch(() => {});
    const q = this.queue(inst.versionId);
    if (q.length) this.dispatch(q[0].spec);
  }

  async stopInstance(instanceId: string): Promise<void> {
    const inst = this.instances.get(instanceId);
    if (!inst) return;
    await this.stop(inst);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.queues.values()) for (const w of q.splice(0)) w.reject(new RuntimeError("modelhub is shutting down"));
    await Promise.all([...this.instances.values()].map((i) => this.stop(i)));
  }

  private queue(versionId: string): Waiter[] {
    let q = this.queues.get(versionId);
    if (!q) this.queues.set(versionId, (q = []));
    return q;
  }

  private freeInstance(versionId: string): Instance | undefined {
    for (const i of this.instances.values())
      if (i.versionId === versionId && i.state === "ready" && i.inFlight < i.concurrency) return i;
    return undefined;
  }

  private lease(inst: Instance): Lease {
    inst.inFlight++;
    inst.lastUsedAt = this.deps.clock.now();
    this.deps.clock.clearTimeout(inst.idleTimer);
    inst.idleTimer = undefined;
    let released = false;
    return {
      instanceId: inst.id,
      containerId: inst.containerId!,
      baseUrl: inst.baseUrl!,
      release: () => {
        if (released) return;
        released = true;
        inst.inFlight--;
        inst.lastUsedAt = this.deps.clock.now();
        const q = this.queue(inst.versionId);
        if (q.length) this.dispatch(q[0].spec);
        else if (inst.inFlight === 0 && inst.state === "ready") this.armIdle(inst);
      },
    };
  }

  /** Idle timeout per version, from the latest spec seen (policy can change between calls). */
  private idleMs = new Map<string, number>();

  private armIdle(inst: Instance): void {
    const ms = this.idleMs.get(inst.versionId) ?? -1;
    if (ms < 0) return;
    // The timer is armed only at refcount 0 and cleared by the next lease, so it never stops live work.
    inst.idleTimer = this.deps.clock.setTimeout(() => {
      if (inst.inFlight === 0 && inst.state === "ready") {
        this.deps.logger.info("stopping idle container", { model: inst.model, instance: inst.id });
        void this.stop(inst);
      }
    }, ms);
  }

  /** Hands free slots to waiters in FIFO order and starts a container when none can serve them. */
  private dispatch(spec: RunSpec): void {
    this.idleMs.set(spec.versionId, spec.idleTimeoutMs);
    const q = this.queue(spec.versionId);
    while (q.length) {
      const inst = this.freeInstance(spec.versionId);
      if (!inst) break;
      const w = q.shift()!;
      if (w.onAbort) w.signal?.removeEventListener("abort", w.onAbort);
      w.resolve(this.lease(inst));
    }
    if (!q.length) return;
    const live = [...this.instances.values()].filter((i) => i.versionId === spec.versionId && (i.state === "starting" || i.state === "ready"));
    if (live.length === 0) void this.start(spec);
  }

  private failWaiters(versionId: string, err: Error): void {
    for (const w of this.queue(versionId).splice(0)) {
      if (w.onAbort) w.signal?.removeEventListener("abort", w.onAbort);
      w.reject(err);
    }
  }

  private async start(spec: RunSpec): Promise<void> {
    const { runtime, clock, logger } = this.deps;
    let gpus: GpuRequest;
    try {
      gpus = this.deps.gpuRequest(spec);
    } catch (err) {
      this.failWaiters(spec.versionId, err as Error);
      return;
    }
    const inst: Instance = {
      id: newInstanceId(),
      versionId: spec.versionId,
      model: spec.model,
      containerId: null,
      baseUrl: null,
      state: "starting",
      inFlight: 0,
      concurrency: Math.max(1, spec.concurrency),
      createdAt: clock.now(),
      readyAt: null,
      lastUsedAt: clock.now(),
      gpus,
      exit: null,
      idleTimer: undefined,
    };
    this.instances.set(inst.id, inst);
    logger.info("starting container", { model: spec.model, instance: inst.id, image: spec.image });
    try {
      inst.containerId = await runtime.create({
        image: spec.image,
        name: `modelhub-${spec.model.replace(/[^a-zA-Z0-9_.-]/g, "-")}-${inst.id}`,
        env: ["COG_LOG_LEVEL=warning"],
        labels: { ...this.deps.labels, [VERSION_LABEL]: spec.versionId, [INSTANCE_LABEL]: inst.id },
        gpus,
        shmSizeBytes: this.deps.shmSizeBytes,
        extraHosts: this.deps.extraHosts,
      });
      const state = await runtime.start(inst.containerId);
      if (!state.hostPort) throw new RuntimeError("Docker did not publish the container's port 5000");
      inst.baseUrl = `http://127.0.0.1:${state.hostPort}`;
    } catch (err) {
      this.forget(inst);
      if (inst.containerId) void runtime.remove(inst.containerId).catch(() => {});
      this.failWaiters(spec.versionId, err as Error);
      return;
    }
    // The engine tells us when the container exits, during setup or later.
    void runtime.wait(inst.containerId).then(
      (exit) => this.containerExited(inst.id, exit),
      () => {},
    );
    const failure = await this.waitReady(inst, spec);
    if (failure) {
      logger.warn("container setup failed", { model: spec.model, instance: inst.id, reason: failure.message });
      this.forget(inst);
      // Clean up before reporting, so no failed container outlives the failure it caused.
      await runtime.remove(inst.containerId).catch(() => {});
      if (!(failure instanceof DockerUnavailableError)) this.deps.onSetupFailure(spec.versionId, failure.message, failure.logs);
      this.failWaiters(spec.versionId, failure);
      return;
    }
    inst.state = "ready";
    inst.readyAt = clock.now();
    logger.info("container ready", { model: spec.model, instance: inst.id, bootMs: inst.readyAt - inst.createdAt });
    this.dispatch(spec);
    if (inst.inFlight === 0) this.armIdle(inst);
  }

  /** Polls /health-check until READY, while watching for the container exiting (exit 255 = setup() raised). */
  private async waitReady(inst: Instance, spec: RunSpec): Promise<SetupFailedError | null> {
    const { clock, runtime } = this.deps;
    const deadline = clock.now() + spec.setupTimeoutMs;
    const poll = this.deps.healthPollMs ?? 25;
    let last = "";
    while (!this.closed) {
      if (inst.state === "dead" && inst.exit) {
        const logs = await runtime.logs(inst.containerId!).catch(() => "");
        const why = inst.exit.exitCode === 255 ? "setup() raised an exception" : describeExit(inst.exit);
        return new SetupFailedError(`Model setup failed: the container exited during setup (${why}). See the logs for the cause; fix the model and import it again to retry.`, logs);
      }
      const h = await checkHealth(inst.baseUrl!, 1000);
      if (h.status === "READY" || h.status === "BUSY") return null;
      if (h.status === "SETUP_FAILED" || h.status === "DEFUNCT") {
        const logs = h.setupLogs || (await runtime.logs(inst.containerId!).catch(() => ""));
        return new SetupFailedError(`Model setup failed (health-check says ${h.status}). See the logs for the cause; fix the model and import it again to retry.`, logs);
      }
      last = h.detail ?? h.status;
      if (clock.now() > deadline) {
        const logs = await runtime.logs(inst.containerId!).catch(() => "");
        return new SetupFailedError(
          `Model setup did not finish within ${Math.round(spec.setupTimeoutMs / 1000)} s (last health status: ${last}). Raise the setup timeout or check the logs.`,
          logs,
        );
      }
      await clock.sleep(poll);
    }
    return new SetupFailedError("modelhub is shutting down", "");
  }

  private forget(inst: Instance): void {
    this.deps.clock.clearTimeout(inst.idleTimer);
    this.instances.delete(inst.id);
  }

  private async stop(inst: Instance): Promise<void> {
    if (inst.state === "stopping") return;
    const wasDead = inst.state === "dead";
    inst.state = "stopping";
    this.deps.clock.clearTimeout(inst.idleTimer);
    try {
      if (inst.containerId && !wasDead) await this.deps.runtime.stop(inst.containerId, 5);
      if (inst.containerId) await this.deps.runtime.remove(inst.containerId);
    } catch (err) {
      this.deps.logger.warn("could not stop container", { instance: inst.id, error: (err as Error).message });
    } finally {
      this.forget(inst);
    }
  }
}

export function describeExit(exit: ContainerExit): string {
  if (exit.oomKilled) return `out of memory: the kernel killed it (exit code ${exit.exitCode})`;
  if (exit.exitCode === 137) return "killed (exit code 137, SIGKILL)";
  if (exit.exitCode === 143) return "terminated (exit code 143, SIGTERM)";
  return `exit code ${exit.exitCode}`;
}
