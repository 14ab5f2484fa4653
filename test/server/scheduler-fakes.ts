// Test doubles for scheduler tests: a manual clock (timers fire only when the test advances time) and
// an in-memory ContainerRuntime whose containers report whatever health the test sets.
import type { Health } from "../../server/runtime/cog-client.ts";
import type { Gpu, GpuInventory } from "../../server/runtime/gpus.ts";
import type {
  ContainerEvent,
  ContainerExit,
  ContainerRuntime,
  ContainerSpec,
  ContainerState,
  ImageInfo,
} from "../../server/runtime/runtime.ts";
import type { Clock } from "../../server/scheduler/clock.ts";
import { Scheduler, type SchedulerDeps } from "../../server/scheduler/scheduler.ts";
import type { RunSpec } from "../../server/scheduler/types.ts";
import { silentLogger } from "../../server/log.ts";

/** Lets every pending promise callback run (no time passes). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

export class ManualClock implements Clock {
  private t = 1_000_000;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  sleep(ms: number): Promise<void> {
    return new Promise((r) => this.setTimeout(r, ms));
  }
  /** Moves time forward, firing due timers in order and letting their effects settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await flush();
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
      await flush();
    }
    this.t = end;
    await flush();
  }
}

interface FakeContainer {
  id: string;
  spec: ContainerSpec;
  port: number;
  running: boolean;
  removed: boolean;
  health: Health["status"];
  exited: (exit: ContainerExit) => void;
  exit: Promise<ContainerExit>;
}

export class FakeRuntime implements ContainerRuntime {
  containers: FakeContainer[] = [];
  /** health a new container of this image reports; default READY */
  healthFor = new Map<string, Health["status"]>();
  leftovers: ContainerState[] = [];
  private onEvent: ((e: ContainerEvent) => void) | null = null;
  private port = 40000;

  async ping(): Promise<void> {}
  async inspectImage(): Promise<ImageInfo> {
    throw new Error("not used");
  }
  async create(spec: ContainerSpec): Promise<string> {
    const id = `c${this.containers.length + 1}`;
    let exited!: (e: ContainerExit) => void;
    const exit = new Promise<ContainerExit>((r) => (exited = r));
    this.containers.push({ id, spec, port: ++this.port, running: false, removed: false, health: this.healthFor.get(spec.image) ?? "READY", exited, exit });
    return id;
  }
  async start(id: string): Promise<ContainerState> {
    const c = this.byId(id);
    c.running = true;
    return this.state(c);
  }
  async inspect(id: string): Promise<ContainerState> {
    return this.state(this.byId(id));
  }
  wait(id: string): Promise<ContainerExit> {
    // Leftover containers (adoption tests) never exit on their own.
    return this.containers.find((x) => x.id === id)?.exit ?? new Promise(() => {});
  }
  async stop(id: string): Promise<void> {
    const c = this.byId(id);
    if (!c.running) return;
    c.running = false;
    c.exited({ exitCode: 143, oomKilled: false });
  }
  async remove(id: string): Promise<void> {
    const c = this.containers.find((x) => x.id === id);
    if (c) {
      c.removed = true;
      c.running = false;
    } else this.leftovers = this.leftovers.filter((l) => l.id !== id);
  }
  async logs(): Promise<string> {
    return "last log line";
  }
  async list(): Promise<ContainerState[]> {
    return this.leftovers;
  }
  async events(onEvent: (e: ContainerEvent) => void): Promise<() => void> {
    this.onEvent = onEvent;
    return () => (this.onEvent = null);
  }

  /** The container dies on its own: the engine reports it on the event stream (and to wait()). */
  die(id: string, exitCode: number, oom = false): void {
    const c = this.byId(id);
    c.running = false;
    if (oom) this.onEvent?.({ containerId: id, action: "oom", exitCode: null, labels: c.spec.labels });
    this.onEvent?.({ containerId: id, action: "die", exitCode, labels: c.spec.labels });
    c.exited({ exitCode, oomKilled: oom });
  }

  probe = async (baseUrl: string): Promise<Health> => {
    const port = Number(new URL(baseUrl).port);
    const c = this.containers.find((x) => x.port === port);
    const left = this.leftovers.find((x) => x.hostPort === port);
    if (left) return { status: (left.labels["test.health"] as Health["status"]) ?? "READY", setupLogs: "" };
    if (!c || !c.running) return { status: "UNREACHABLE", setupLogs: "" };
    return { status: c.health, setupLogs: c.health === "SETUP_FAILED" ? "Traceback: boom" : "" };
  };

  live(): FakeContainer[] {
    return this.containers.filter((c) => c.running);
  }

  private byId(id: string): FakeContainer {
    const c = this.containers.find((x) => x.id === id);
    if (!c) throw new Error(`no container ${id}`);
    return c;
  }
  private state(c: FakeContainer): ContainerState {
    return { id: c.id, running: c.running, status: c.running ? "running" : "exited", exitCode: null, oomKilled: false, hostPort: c.port, labels: c.spec.labels, startedAt: null, image: c.spec.image };
  }
}

export function gpus(count: number, source: GpuInventory["source"] = "fake"): GpuInventory {
  const list: Gpu[] = Array.from({ length: count }, (_, index) => ({
    index,
    uuid: `GPU-${index}`,
    name: "Test GPU",
    memoryTotalMiB: 24_576,
    memoryUsedMiB: 0,
    simulated: source === "fake",
  }));
  return { gpus: list, source: count === 0 ? "none" : source };
}

export function spec(name: string, over: Partial<RunSpec> = {}): RunSpec {
  return {
    versionId: `v-${name}`,
    model: `acme/${name}`,
    image: `sha256:${name}`,
    gpuCount: 0,
    concurrency: 1,
    maxQueue: 100,
    idleTimeoutMs: 60_000,
    setupTimeoutMs: 300_000,
    ...over,
  };
}

export function harness(over: Partial<SchedulerDeps> = {}) {
  const clock = new ManualClock();
  const runtime = new FakeRuntime();
  const setupFailures: { versionId: string; message: string }[] = [];
  const scheduler = new Scheduler({
    runtime,
    clock,
    logger: silentLogger,
    shmSizeBytes: 1,
    extraHosts: [],
    labels: { "dev.modelhub.owner": "test" },
    inventory: gpus(0),
    onSetupFailure: (versionId, message) => setupFailures.push({ versionId, message }),
    probe: runtime.probe,
    healthPollMs: 25,
    healthIntervalMs: 3_600_000,
    ...over,
  });
  return { clock, runtime, scheduler, setupFailures };
}
