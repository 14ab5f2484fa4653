// Scheduler behaviour with a fake runtime and a manual clock (no sleeps): leases and the FIFO queue,
// idle stop, placement (pinning, LRU eviction, scale-out), keep-warm, deaths, backoff, setup failure.
import { describe, expect, it } from "bun:test";
import { GpuUnavailableError } from "../../server/runtime/runtime.ts";
import { CanceledError, type Lease, QueueFullError, SetupFailedError } from "../../server/scheduler/scheduler.ts";
import { flush, gpus, harness, spec } from "./scheduler-fakes.ts";

/** Boot takes one health poll; this advances past it. */
const BOOT = 50;

describe("scheduler: leases and the queue", () => {
  it("starts a container on the first request and leases it once READY", async () => {
    const { clock, runtime, scheduler } = harness();
    const p = scheduler.acquire(spec("hello"));
    await clock.advance(BOOT);
    const lease = await p;
    expect(runtime.live()).toHaveLength(1);
    expect(lease.baseUrl).toBe(`http://127.0.0.1:${runtime.containers[0].port}`);
    expect(scheduler.get(lease.instanceId)?.state).toBe("ready");
    expect(runtime.containers[0].spec.labels["dev.modelhub.pool"]).toBe("v-hello");
  });

  it("serves a concurrency-1 model strictly first come, first served, on one container", async () => {
    const { clock, runtime, scheduler } = harness();
    const order: number[] = [];
    const leases = Array.from({ length: 5 }, (_, i) =>
      scheduler.acquire(spec("hello")).then((l) => {
        order.push(i);
        return l;
      }),
    );
    await clock.advance(BOOT);
    for (let i = 0; i < 5; i++) {
      expect(order).toEqual([...Array(i + 1).keys()]);
      (await leases[i]).release();
      await flush();
    }
    expect(runtime.containers).toHaveLength(1);
  });

  it("answers a full queue at once with QueueFullError and a Retry-After", async () => {
    const { clock, scheduler } = harness();
    const s = spec("hello", { maxQueue: 2 });
    const held = scheduler.acquire(s);
    await clock.advance(BOOT);
    await held;
    void scheduler.acquire(s);
    void scheduler.acquire(s);
    expect(scheduler.queueFull(s)).toBeInstanceOf(QueueFullError);
    const err = await scheduler.acquire(s).catch((e) => e);
    expect(err).toBeInstanceOf(QueueFullError);
    expect(err.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it("takes a canceled prediction out of the queue", async () => {
    const { clock, scheduler } = harness();
    const s = spec("hello");
    const first = scheduler.acquire(s, undefined, "p1");
    await clock.advance(BOOT);
    const lease = await first;
    const abort = new AbortController();
    const queued = scheduler.acquire(s, abort.signal, "p2");
    const behind = scheduler.acquire(s, undefined, "p3");
    expect(scheduler.queueInfo("p3")?.position).toBe(2);
    abort.abort();
    expect(await queued.catch((e) => e)).toBeInstanceOf(CanceledError);
    expect(scheduler.queued("v-hello")).toBe(1);
    expect(scheduler.queueInfo("p3")?.position).toBe(1);
    lease.release();
    expect((await behind).instanceId).toBe(lease.instanceId);
  });

  it("estimates a queued prediction's start including a cold boot, from measured times", async () => {
    const { clock, scheduler } = harness();
    scheduler.stats.seed([{ versionId: "v-hello", boots: 2, bootMsTotal: 4_000, lastBootMs: 2_000, predictions: 4, predictMsTotal: 4_000, peakMemoryBytes: null, peakGpuMemoryMiB: null }]);
    const now = clock.now();
    void scheduler.acquire(spec("hello"), undefined, "p1");
    void scheduler.acquire(spec("hello"), undefined, "p2");
    const first = scheduler.queueInfo("p1")!;
    const second = scheduler.queueInfo("p2")!;
    expect(first).toMatchObject({ position: 1, queued: 2, coldBoot: true, measured: true, estimatedStartAt: now + 2_000 });
    // Second in line: the boot, then one average prediction (1 s) ahead of it.
    expect(second).toMatchObject({ position: 2, coldBoot: false, estimatedStartAt: now + 3_000 });
  });
});

describe("scheduler: idle stop", () => {
  it("stops a container once idle for the idle timeout, and the next request starts a new one", async () => {
    const { clock, runtime, scheduler } = harness();
    const s = spec("hello", { idleTimeoutMs: 2_000 });
    const p = scheduler.acquire(s);
    await clock.advance(BOOT);
    (await p).release();
    await clock.advance(1_999);
    expect(runtime.live()).toHaveLength(1);
    await clock.advance(1);
    expect(runtime.live()).toHaveLength(0);
    expect(runtime.containers[0].removed).toBe(true);
    expect(scheduler.list()).toHaveLength(0);
    const again = scheduler.acquire(s);
    await clock.advance(BOOT);
    await again;
    expect(runtime.containers).toHaveLength(2);
  });

  it("never idle-stops a container with work in flight", async () => {
    const { clock, runtime, scheduler } = harness();
    const s = spec("hello", { idleTimeoutMs: 1_000 });
    const p = scheduler.acquire(s);
    await clock.advance(BOOT);
    const lease = await p;
    await clock.advance(10_000);
    expect(runtime.live()).toHaveLength(1);
    lease.release();
    await clock.advance(1_000);
    expect(runtime.live()).toHaveLength(0);
  });

  it("keeps a container forever with idle timeout -1, and stops it at once with 0", async () => {
    const { clock, runtime, scheduler } = harness();
    const never = scheduler.acquire(spec("a", { idleTimeoutMs: -1 }));
    const zero = scheduler.acquire(spec("b", { idleTimeoutMs: 0 }));
    await clock.advance(BOOT);
    (await never).release();
    (await zero).release();
    await clock.advance(24 * 3_600_000);
    expect(runtime.live().map((c) => c.spec.image)).toEqual(["sha256:a"]);
  });
});

describe("scheduler: GPU placement", () => {
  it("evicts the idle instance of another model when the only GPU is taken", async () => {
    const { clock, runtime, scheduler } = harness({ inventory: gpus(1) });
    const a = scheduler.acquire(spec("a", { gpuCount: 1 }));
    await clock.advance(BOOT);
    (await a).release();
    const b = scheduler.acquire(spec("b", { gpuCount: 1 }));
    await clock.advance(BOOT);
    const lease = await b;
    expect(runtime.containers[0].removed).toBe(true);
    expect(scheduler.get(lease.instanceId)?.gpuIndices).toEqual([0]);
    expect(runtime.live().map((c) => c.spec.image)).toEqual(["sha256:b"]);
  });

  it("never evicts an instance with work in flight: the newcomer waits for it to go idle", async () => {
    const { clock, runtime, scheduler } = harness({ inventory: gpus(1) });
    const a = scheduler.acquire(spec("a", { gpuCount: 1 }));
    await clock.advance(BOOT);
    const busy = await a;
    let got: Lease | null = null;
    void scheduler.acquire(spec("b", { gpuCount: 1 })).then((l) => (got = l));
    await clock.advance(60_000);
    expect(got).toBeNull();
    expect(runtime.live().map((c) => c.spec.image)).toEqual(["sha256:a"]);
    expect(scheduler.queues()[0].waitReason).toContain("waiting for");
    busy.release();
    await clock.advance(BOOT);
    expect(got).not.toBeNull();
    expect(runtime.live().map((c) => c.spec.image)).toEqual(["sha256:b"]);
  });

  it("evicts the least recently used of two idle instances", async () => {
    const { clock, runtime, scheduler } = harness({ inventory: gpus(2) });
    const a = scheduler.acquire(spec("a", { gpuCount: 1 }));
    const b = scheduler.acquire(spec("b", { gpuCount: 1 }));
    await clock.advance(BOOT);
    (await b).release();
    await clock.advance(10);
    (await a).release();
    const c = scheduler.acquire(spec("c", { gpuCount: 1 }));
    await clock.advance(BOOT);
    await c;
    expect(runtime.live().map((x) => x.spec.image).sort()).toEqual(["sha256:a", "sha256:c"]);
  });

  it("puts a pinned model on its GPU and asks Docker for that device on a real inventory", async () => {
    const { clock, runtime, scheduler } = harness({ inventory: gpus(2, "nvidia-smi") });
    const p = scheduler.acquire(spec("a", { gpuCount: 1, pinnedGpus: [1] }));
    await clock.advance(BOOT);
    const lease = await p;
    expect(scheduler.get(lease.instanceId)?.gpuIndices).toEqual([1]);
    expect(runtime.containers[0].spec.gpus).toEqual({ kind: "devices", ids: ["1"] });
    expect(runtime.containers[0].spec.labels["dev.modelhub.gpus"]).toBe("1");
  });

  it("assigns simulated GPUs on paper only: no device request", async () => {
    const { clock, runtime, scheduler } = harness({ inventory: gpus(1) });
    const p = scheduler.acquire(spec("a", { gpuCount: 1 }));
    await clock.advance(BOOT);
    const inst = scheduler.get((await p).instanceId)!;
    expect(inst.gpuIndices).toEqual([0]);
    expect(inst.simulatedGpus).toBe(true);
    expect(runtime.containers[0].spec.gpus).toEqual({ kind: "none" });
  });

  it("fails GPU models clearly on a machine without GPUs; CPU models still run", async () => {
    const { clock, scheduler } = harness({ inventory: gpus(0) });
    expect(scheduler.unfit(spec("g", { gpuCount: 1 }))).toContain("needs a GPU but none is available");
    expect(scheduler.unfit(spec("c"))).toBeNull();
    const err = await scheduler.acquire(spec("g", { gpuCount: 1 })).catch((e) => e);
    expect(err).toBeInstanceOf(GpuUnavailableError);
    const cpu = scheduler.acquire(spec("c"));
    await clock.advance(BOOT);
    expect((await cpu).baseUrl).toStartWith("http://127.0.0.1:");
  });

  it("scales out to max instances while the queue outgrows the slots, on free GPUs only", async () => {
    const { clock, runtime, scheduler } = harness({ inventory: gpus(2) });
    const s = spec("a", { gpuCount: 1, maxInstances: 3 });
    const leases = [scheduler.acquire(s), scheduler.acquire(s), scheduler.acquire(s)];
    await clock.advance(BOOT);
    // Two GPUs: two instances, the third request waits for a slot rather than evicting anything.
    expect(runtime.live()).toHaveLength(2);
    const [l1, l2] = await Promise.all([leases[0], leases[1]]);
    expect(l1.instanceId).not.toBe(l2.instanceId);
    l1.release();
    expect((await leases[2]).instanceId).toBe(l1.instanceId);
  });

  it("does not scale out past max instances", async () => {
    const { clock, runtime, scheduler } = harness();
    const s = spec("a", { maxInstances: 2 });
    for (let i = 0; i < 6; i++) void scheduler.acquire(s);
    await clock.advance(BOOT);
    expect(runtime.live()).toHaveLength(2);
  });
});

describe("scheduler: keep warm", () => {
  it("starts min instances without a request, never idles them out and never evicts them", async () => {
    const { clock, runtime, scheduler } = harness({ inventory: gpus(1) });
    scheduler.setWarm([spec("warm", { gpuCount: 1, minInstances: 1, idleTimeoutMs: 0 })]);
    await clock.advance(BOOT);
    expect(runtime.live().map((c) => c.spec.image)).toEqual(["sha256:warm"]);
    await clock.advance(3_600_000);
    expect(runtime.live()).toHaveLength(1);
    let got = false;
    void scheduler.acquire(spec("other", { gpuCount: 1 })).then(() => (got = true));
    await clock.advance(60_000);
    expect(got).toBe(false);
    expect(scheduler.queues()[0].waitReason).toContain("kept warm");
    // Dropping it from the warm set lets it idle out; then the other model gets the GPU.
    scheduler.setWarm([]);
    await clock.advance(BOOT);
    expect(got).toBe(true);
  });

  it("restarts a kept-warm instance that dies", async () => {
    const { clock, runtime, scheduler } = harness();
    scheduler.setWarm([spec("warm", { minInstances: 1 })]);
    await scheduler.watchEvents();
    await clock.advance(BOOT);
    runtime.die("c1", 137);
    await clock.advance(BOOT);
    expect(runtime.live().map((c) => c.id)).toEqual(["c2"]);
  });
});

describe("scheduler: deaths, backoff and setup failure", () => {
  it("tells why a container died mid-prediction (from the event stream) and starts a fresh one next", async () => {
    const { clock, runtime, scheduler } = harness();
    await scheduler.watchEvents();
    const p = scheduler.acquire(spec("a"));
    await clock.advance(BOOT);
    const lease = await p;
    runtime.die("c1", 137);
    await flush();
    expect(await lease.ended).toEqual({ reason: "killed (exit code 137, SIGKILL)", logs: "last log line" });
    lease.release();
    const next = scheduler.acquire(spec("a"));
    await clock.advance(BOOT);
    expect((await next).instanceId).not.toBe(lease.instanceId);
    expect(runtime.containers[0].removed).toBe(true);
  });

  it("names an OOM kill", async () => {
    const { clock, runtime, scheduler } = harness();
    await scheduler.watchEvents();
    const p = scheduler.acquire(spec("a"));
    await clock.advance(BOOT);
    const lease = await p;
    runtime.die("c1", 137, true);
    await flush();
    expect((await lease.ended).reason).toContain("out of memory");
    expect((await lease.ended).reason).toContain("no memory limit is set");
  });

  it("creates the container with the spec's limits, names its memory limit in an OOM, and replaces instances when the limits change", async () => {
    const { clock, runtime, scheduler } = harness();
    await scheduler.watchEvents();
    const limits = { memoryBytes: 512 * 1024 ** 2, cpus: 1.5, pids: 128 };
    const p = scheduler.acquire(spec("a", { limits }));
    await clock.advance(BOOT);
    const lease = await p;
    expect(runtime.containers[0].spec.limits).toEqual(limits);
    runtime.die("c1", 137, true);
    await flush();
    expect((await lease.ended).reason).toContain("its memory limit of 512 MiB");
    lease.release();
    // a new spec with other limits: the running instance drains, the next one gets them
    const q = scheduler.acquire(spec("a", { limits, rev: 1 }));
    await clock.advance(BOOT);
    const second = await q;
    second.release();
    scheduler.applySpec(spec("a", { limits: { ...limits, memoryBytes: 1024 ** 3 }, rev: 2 }));
    await flush();
    expect(scheduler.get(second.instanceId)?.state ?? "gone").not.toBe("ready");
    const r = scheduler.acquire(spec("a", { limits: { ...limits, memoryBytes: 1024 ** 3 }, rev: 2 }));
    await clock.advance(BOOT);
    const third = await r;
    expect(third.instanceId).not.toBe(second.instanceId);
    expect(runtime.containers.at(-1)!.spec.limits?.memoryBytes).toBe(1024 ** 3);
  });

  it("backs off after repeated deaths: 0, then 1 s, then 2 s", async () => {
    const { clock, runtime, scheduler } = harness();
    await scheduler.watchEvents();
    const s = spec("a");
    const boot = async () => {
      const p = scheduler.acquire(s);
      return p;
    };
    let p = boot();
    await clock.advance(BOOT);
    await p;
    runtime.die("c1", 1); // first failure: no wait
    await flush();
    p = boot();
    await clock.advance(BOOT);
    await p;
    expect(runtime.containers).toHaveLength(2);
    runtime.die("c2", 1); // second in a row: 1 s
    await flush();
    p = boot();
    await clock.advance(900);
    expect(runtime.containers).toHaveLength(2);
    expect(scheduler.queues()[0].waitReason).toContain("2 failures in a row");
    await clock.advance(100 + BOOT);
    expect(runtime.containers).toHaveLength(3);
    const lease = await p;
    // A finished prediction ends the streak.
    lease.release();
    runtime.die("c3", 1);
    await flush();
    p = boot();
    await clock.advance(BOOT);
    await p;
    expect(runtime.containers).toHaveLength(4);
  });

  it("remembers a setup failure: queued work fails, nothing boots again until retry()", async () => {
    const { clock, runtime, scheduler, setupFailures } = harness();
    runtime.healthFor.set("sha256:bad", "SETUP_FAILED");
    const s = spec("bad");
    const a = scheduler.acquire(s).catch((e) => e);
    const b = scheduler.acquire(s).catch((e) => e);
    await clock.advance(BOOT);
    expect(await a).toBeInstanceOf(SetupFailedError);
    expect(((await a) as SetupFailedError).logs).toContain("Traceback");
    expect(await b).toBeInstanceOf(SetupFailedError);
    expect(setupFailures.map((f) => f.versionId)).toEqual(["v-bad"]);
    expect(await scheduler.acquire(s).catch((e) => e)).toBeInstanceOf(SetupFailedError);
    expect(runtime.containers).toHaveLength(1);
    runtime.healthFor.set("sha256:bad", "READY");
    scheduler.retry("v-bad");
    const c = scheduler.acquire(s);
    await clock.advance(BOOT);
    await c;
    expect(runtime.containers).toHaveLength(2);
  });

  it("gives up on a setup that outlasts the setup timeout", async () => {
    const { clock, runtime, scheduler } = harness();
    runtime.healthFor.set("sha256:slow", "STARTING");
    const p = scheduler.acquire(spec("slow", { setupTimeoutMs: 5_000 })).catch((e) => e);
    await clock.advance(5_100);
    const err = await p;
    expect(err).toBeInstanceOf(SetupFailedError);
    expect(err.message).toContain("did not finish within 5 s");
    expect(runtime.containers[0].removed).toBe(true);
  });

  it("fails a boot when the container exits during setup (exit 255 = setup() raised)", async () => {
    const { clock, runtime, scheduler } = harness();
    runtime.healthFor.set("sha256:x", "STARTING");
    const p = scheduler.acquire(spec("x")).catch((e) => e);
    await flush();
    runtime.die("c1", 255);
    await clock.advance(BOOT);
    expect((await p).message).toContain("setup() raised an exception");
  });
});

describe("scheduler: health of running instances", () => {
  it("takes an UNHEALTHY instance out of service and replaces it after repeated failures", async () => {
    const { clock, runtime, scheduler } = harness({ healthIntervalMs: 1_000, unhealthyLimit: 3 });
    const p = scheduler.acquire(spec("a"));
    await clock.advance(BOOT);
    const lease = await p;
    lease.release();
    runtime.containers[0].health = "UNHEALTHY";
    await clock.advance(1_000);
    expect(scheduler.get(lease.instanceId)?.state).toBe("unhealthy");
    await clock.advance(2_000);
    expect(scheduler.get(lease.instanceId)).toBeUndefined();
    expect(runtime.containers[0].removed).toBe(true);
  });

  it("replaces a DEFUNCT instance and tells the running prediction why", async () => {
    const { clock, runtime, scheduler } = harness({ healthIntervalMs: 1_000 });
    const p = scheduler.acquire(spec("a"));
    await clock.advance(BOOT);
    const lease = await p;
    runtime.containers[0].health = "DEFUNCT";
    await clock.advance(1_000);
    expect((await lease.ended).reason).toContain("DEFUNCT");
    expect(runtime.containers[0].removed).toBe(true);
  });
});


/** A container a previous run left, as the runtime lists it; `health` is what its /health-check says. */
const leftover = (id: string, port: number, health: string) => ({
  id,
  running: true,
  status: "running",
  exitCode: null,
  oomKilled: false,
  hostPort: port,
  labels: { "dev.modelhub.pool": "v-a", "dev.modelhub.version": "v-a", "dev.modelhub.instance": `i-${id}`, "dev.modelhub.gpus": "", "test.health": health },
  startedAt: null,
  image: "sha256:a",
});

describe("scheduler: stopping and restarts", () => {
  it("drains: in-flight work finishes, queued work fails, then the container stops", async () => {
    const { clock, runtime, scheduler } = harness();
    const p = scheduler.acquire(spec("a"));
    await clock.advance(BOOT);
    const lease = await p;
    const queued = scheduler.acquire(spec("a")).catch((e) => e);
    let done = false;
    void scheduler.stopWhere((x) => x.model === "acme/a", 30_000, "stopped by modelhub stop acme/a").then(() => (done = true));
    expect((await queued).message).toBe("stopped by modelhub stop acme/a");
    await clock.advance(1_000);
    expect(done).toBe(false);
    expect(runtime.live()).toHaveLength(1);
    lease.release();
    await clock.advance(0);
    expect(done).toBe(true);
    expect(runtime.live()).toHaveLength(0);
  });

  it("fails work still running when the grace period runs out, naming the reason", async () => {
    const { clock, runtime, scheduler } = harness();
    const p = scheduler.acquire(spec("a"));
    await clock.advance(BOOT);
    const lease = await p;
    void scheduler.stopWhere(() => true, 5_000, "stopped by modelhub stop --all");
    await clock.advance(5_000);
    expect(runtime.live()).toHaveLength(0);
    expect((await lease.ended).reason).toContain("stopped by modelhub stop --all");
  });

  it("adopts a healthy leftover container and removes a busy one", async () => {
    const { runtime, scheduler } = harness();
    runtime.leftovers = [leftover("old1", 50001, "READY"), leftover("old2", 50002, "BUSY")];
    const r = await scheduler.adopt(runtime.leftovers, () => spec("a"));
    expect(r).toEqual({ adopted: 1, removed: 1, leases: [] });
    expect(scheduler.list().map((i) => [i.id, i.state, i.adopted])).toEqual([["i-old1", "ready", true]]);
    const lease = await scheduler.acquire(spec("a"));
    expect(lease.containerId).toBe("old1");
  });

  it("adopts a busy leftover container whose prediction is re-attached, leased to it until that ends", async () => {
    const { runtime, scheduler } = harness();
    runtime.leftovers = [leftover("old1", 50001, "BUSY"), leftover("old2", 50002, "BUSY")];
    const r = await scheduler.adopt(runtime.leftovers, () => spec("a"), (id) => (id === "i-old1" ? ["p1"] : []));
    expect([r.adopted, r.removed, r.leases.map((l) => [l.predictionId, l.lease.containerId])]).toEqual([1, 1, [["p1", "old1"]]]);
    expect(scheduler.list().map((i) => [i.id, i.inFlight, i.leases.size])).toEqual([["i-old1", 1, 1]]);
    r.leases[0].lease.release();
    expect(scheduler.list()[0].inFlight).toBe(0);
  });

  it("replaces instances of an older version when a pool's version changes (new deployment release)", async () => {
    const { clock, runtime, scheduler } = harness();
    const v1 = spec("a", { key: "deployment:acme/prod", deployment: "acme/prod" });
    const p = scheduler.acquire(v1);
    await clock.advance(BOOT);
    (await p).release();
    const v2 = { ...v1, versionId: "v-a2", image: "sha256:a2" };
    const next = scheduler.acquire(v2);
    await clock.advance(BOOT);
    await next;
    expect(runtime.live().map((c) => c.spec.image)).toEqual(["sha256:a2"]);
  });
});
