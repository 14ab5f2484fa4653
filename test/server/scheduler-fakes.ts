// Test doubles for scheduler tests: a manual clock (timers fire only when the test advances time),
// GPU inventories, specs, and a scheduler over the in-memory FakeRuntime (test/helpers/fake-runtime.ts).
import type { Gpu, GpuInventory } from "../../server/runtime/gpus.ts";
import type { Clock } from "../../server/scheduler/clock.ts";
import { Scheduler, type SchedulerDeps } from "../../server/scheduler/scheduler.ts";
import type { RunSpec } from "../../server/scheduler/run-spec.ts";
import { silentLogger } from "../../server/log.ts";
import { FakeRuntime } from "../helpers/fake-runtime.ts";

export { FakeRuntime };

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
