// Issue 3 acceptance against the real engine with the test images: a burst on a concurrency-1 model,
// GPU eviction on a one-GPU simulated inventory (never of busy work), idle stop and restart, a
// container killed mid-prediction, the bounded queue (429 + Retry-After) and queued cancel, a
// remembered setup failure and its retry, deployments and hardware, and GPU device requests.
//
// Runs only with MODELHUB_TEST_DOCKER=1. Timing is never asserted tightly: the machine is shared.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { checkHealth } from "../../server/cog/python-server.ts";
import { DockerRuntime } from "../../server/runtime/docker.ts";
import type { ContainerState } from "../../server/runtime/runtime.ts";
import { Scheduler } from "../../server/scheduler/scheduler.ts";
import { systemClock } from "../../server/scheduler/clock.ts";
import { silentLogger } from "../../server/log.ts";
import { type LiveServer, startLiveServer } from "../helpers/live-server.ts";
import { containersOf, docker, removeContainersOf, TERMINAL, until } from "./scheduler-helpers.ts";

const enabled = process.env.MODELHUB_TEST_DOCKER === "1";
const T = 120_000; // per test: cold starts on a loaded 2-core machine

describe.skipIf(!enabled)("scheduler against the real engine (one simulated GPU)", () => {
  let s: LiveServer;

  beforeAll(async () => {
    s = await startLiveServer({ gpus: "fake:1", "log-level": "error" });
    await s.addModel("modelhub-test/hello:latest", "acme/hello");
    await s.addModel("modelhub-test/slow:latest", "acme/slow");
    await s.addModel("modelhub-test/gpu-hello:latest", "acme/gpu");
    await s.addModel("modelhub-test/bad-setup:latest", "acme/bad");
  }, T);

  afterAll(async () => {
    await s?.stop();
    if (s) removeContainersOf(s.dataDir);
  }, T);

  const predict = (model: string, input: Record<string, unknown>, wait = true) =>
    s.api("POST", `/v1/models/${model}/predictions`, { input }, wait ? { prefer: "wait=60" } : {});
  const get = async (id: string) => (await s.api("GET", `/v1/predictions/${id}`)).body;
  const done = (id: string) => until(`prediction ${id} to finish`, async () => ((p) => (TERMINAL.has(p.status) ? p : null))(await get(id)));
  const instances = async () => (await s.api("GET", "/v1/instances")).body;
  const instancesOf = async (model: string) => (await instances()).instances.filter((i: any) => i.model === model && !i.deployment);
  const setPolicy = async (model: string, body: Record<string, unknown>) => {
    const r = await s.api("PATCH", `/v1/models/${model}/policy`, body);
    expect(r.status).toBe(200);
    return r.body;
  };

  it("runs 20 predictions sent at once to a concurrency-1 model: all succeed, one at a time, in order", async () => {
    const sent = await Promise.all(Array.from({ length: 20 }, () => predict("acme/slow", { seconds: 0.05 }, false)));
    expect(sent.map((r) => r.status)).toEqual(Array(20).fill(201));
    // Watch the container's slots while the burst drains: never more than its one slot in flight.
    let maxInFlight = 0;
    let draining = true;
    const watch = (async () => {
      while (draining) {
        for (const i of await instancesOf("acme/slow")) maxInFlight = Math.max(maxInFlight, i.in_flight);
        await Bun.sleep(20);
      }
    })();
    const all = await Promise.all(sent.map((r) => done(r.body.id)));
    draining = false;
    await watch;
    expect(maxInFlight).toBe(1);
    expect(all.map((p) => p.status)).toEqual(Array(20).fill("succeeded"));
    // First come, first served: in the order they ran, each was created no later than the next
    // (created_at is stamped in the same synchronous step that queues it; timestamps have ms
    // resolution, so ties are fine). One at a time is what maxInFlight above checks. (This used to
    // compare each start with the previous completed_at too, allowing 30 ms for the wrap-up taken
    // after the slot is handed on: under load the wrap-up took longer and the check failed.)
    const ms = (t: string) => Date.parse(t);
    const ran = [...all].sort((a, b) => ms(a.started_at) - ms(b.started_at) || ms(a.completed_at) - ms(b.completed_at));
    for (let i = 1; i < ran.length; i++) expect(ms(ran[i].created_at)).toBeGreaterThanOrEqual(ms(ran[i - 1].created_at));
    expect(await instancesOf("acme/slow")).toHaveLength(1);
  }, T);

  it("evicts the idle GPU model for a second GPU model, and never one with work in flight", async () => {
    await setPolicy("acme/slow", { idle_timeout: 0 }); // free the stage for this test
    const first = await predict("acme/gpu", { text: "a" });
    expect(first.body.status).toBe("succeeded");
    const gpuInst = (await instancesOf("acme/gpu"))[0];
    expect(gpuInst.gpus).toEqual([0]);
    expect(gpuInst.gpus_simulated).toBe(true);

    // hello needs the only GPU too: the idle acme/gpu instance is evicted.
    await setPolicy("acme/hello", { gpus: 1 });
    const second = await predict("acme/hello", { text: "b" });
    expect(second.body.status).toBe("succeeded");
    expect(await instancesOf("acme/gpu")).toHaveLength(0);
    expect(docker("ps", "-q", "--filter", `id=${gpuInst.container_id}`).out).toBe("");
    expect((await instancesOf("acme/hello"))[0].gpus).toEqual([0]);

    // A busy GPU instance is never evicted: the newcomer waits until its work is done.
    await setPolicy("acme/slow", { gpus: 1, idle_timeout: 60 });
    const busy = await predict("acme/slow", { seconds: 3 }, false);
    await until("slow to start processing", async () => (await get(busy.body.id)).status === "processing");
    const slowInst = (await instancesOf("acme/slow"))[0];
    const waiting = await predict("acme/gpu", { text: "c" }, false);
    await Bun.sleep(1_000);
    expect((await get(waiting.body.id)).status).toBe("starting");
    const q = await s.api("GET", `/v1/predictions/${waiting.body.id}/queue`);
    expect(q.body.queue).toMatchObject({ position: 1 });
    expect(q.body.queue.waiting_for).toContain("waiting for");
    // the prediction itself carries the same place in line while it waits
    const seen = await get(waiting.body.id);
    expect(seen.queue).toMatchObject({ position: 1, cold_boot: true });
    expect(Date.parse(seen.queue.estimated_start_at)).toBeGreaterThan(0);
    expect(docker("ps", "-q", "--filter", `id=${slowInst.container_id}`).out).not.toBe("");
    expect((await done(busy.body.id)).status).toBe("succeeded");
    expect((await done(waiting.body.id)).output).toBe("hello c");
    await setPolicy("acme/slow", { gpus: null });
    await setPolicy("acme/hello", { gpus: null });
    await s.api("POST", "/v1/instances/stop", { all: true });
  }, T);

  it("stops a container after an idle timeout of 2 s and starts it again for the next prediction", async () => {
    await setPolicy("acme/hello", { idle_timeout: 2 });
    expect((await predict("acme/hello", { text: "1" })).body.output).toBe("hello 1");
    const inst = (await instancesOf("acme/hello"))[0];
    await until("the idle container to stop", async () => (await instancesOf("acme/hello")).length === 0, 30_000);
    expect(docker("ps", "-aq", "--filter", `id=${inst.container_id}`).out).toBe("");
    expect((await predict("acme/hello", { text: "2" })).body.output).toBe("hello 2");
    const again = (await instancesOf("acme/hello"))[0];
    expect(again.id).not.toBe(inst.id);
    await setPolicy("acme/hello", { idle_timeout: null });
  }, T);

  it("fails a prediction whose container is killed (docker kill) with the reason; the next one succeeds", async () => {
    const long = await predict("acme/slow", { seconds: 30 }, false);
    await until("slow to start processing", async () => (await get(long.body.id)).status === "processing");
    const inst = (await instancesOf("acme/slow"))[0];
    expect(docker("kill", inst.container_id).code).toBe(0);
    const failed = await done(long.body.id);
    expect(failed.status).toBe("failed");
    expect(failed.error).toContain("killed (exit code 137");
    const next = await predict("acme/slow", { seconds: 0.1 });
    expect(next.body.status).toBe("succeeded");
    expect((await instancesOf("acme/slow"))[0].id).not.toBe(inst.id);
  }, T);

  it("bounds the queue (429 with Retry-After) and takes a canceled queued prediction out of it", async () => {
    await setPolicy("acme/slow", { max_queue: 1 });
    const running = await predict("acme/slow", { seconds: 3 }, false);
    await until("slow to start processing", async () => (await get(running.body.id)).status === "processing");
    const queued = await predict("acme/slow", { seconds: 0.1 }, false);
    expect(queued.status).toBe(201);
    const rejected = await predict("acme/slow", { seconds: 0.1 }, false);
    expect(rejected.status).toBe(429);
    expect(Number(rejected.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(rejected.body.detail).toContain("max_queue");
    const canceled = await s.api("POST", `/v1/predictions/${queued.body.id}/cancel`);
    expect(canceled.body.status).toBe("canceled");
    // The line is free again at once, while the first prediction still runs.
    const accepted = await predict("acme/slow", { seconds: 0.1 }, false);
    expect(accepted.status).toBe(201);
    expect((await done(running.body.id)).status).toBe("succeeded");
    expect((await done(accepted.body.id)).status).toBe("succeeded");
    await setPolicy("acme/slow", { max_queue: null });
  }, T);

  it("remembers a setup failure with its logs until the version is retried", async () => {
    const first = await predict("acme/bad", { text: "x" });
    expect(first.body.status).toBe("failed");
    expect(first.body.error).toMatch(/setup/i);
    expect(first.body.logs).toContain("weights file");
    const before = containersOf(s.dataDir).length;
    const second = await predict("acme/bad", { text: "x" });
    expect(second.body.status).toBe("failed");
    expect(containersOf(s.dataDir).length).toBe(before); // failed at once, nothing booted
    const policy = (await s.api("GET", "/v1/models/acme/bad/policy")).body;
    expect(policy.setup_error).toMatch(/setup/i);
    const retried = await s.api("POST", `/v1/models/acme/bad/versions/${policy.effective.version}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.previous_error).toMatch(/setup/i);
    expect((await s.api("GET", "/v1/models/acme/bad/policy")).body.setup_error).toBeNull();
    // The image is still broken, so it fails again — after booting it once more.
    const third = await predict("acme/bad", { text: "x" });
    expect(third.body.status).toBe("failed");
    expect(third.body.logs).toContain("weights file");
  }, T);

  it("lists this machine's hardware and runs a kept-warm deployment on its own instance", async () => {
    const hw = (await s.api("GET", "/v1/hardware")).body;
    expect(Array.isArray(hw)).toBe(true);
    expect(hw.map((h: any) => h.sku)).toEqual(["cpu", "gpu-1x", "gpu-0"]);
    const created = await s.api("POST", "/v1/deployments", { name: "prod", model: "acme/hello", hardware: "cpu", min_instances: 1, max_instances: 1 });
    expect(created.status).toBe(201);
    expect(created.body.current_release.configuration).toEqual({ hardware: "cpu", min_instances: 1, max_instances: 1 });
    // min_instances 1: it starts without any prediction.
    const warm = await until("the deployment's instance", async () => (await instances()).instances.find((i: any) => i.deployment === "acme/prod" && i.state === "ready"));
    const r = await s.api("POST", "/v1/deployments/acme/prod/predictions", { input: { text: "d" } }, { prefer: "wait" });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ output: "hello d", deployment: "acme/prod", status: "succeeded" });
    expect((await s.api("GET", "/v1/deployments")).body.results.map((d: any) => d.name)).toEqual(["prod"]);
    const patched = await s.api("PATCH", "/v1/deployments/acme/prod", { max_instances: 2 });
    expect(patched.body.current_release.number).toBe(2);
    expect((await s.api("DELETE", "/v1/deployments/acme/prod")).status).toBe(204);
    await until("the deployment's instance to stop", async () => !(await instances()).instances.some((i: any) => i.id === warm.id), 30_000);
    expect((await s.api("GET", "/v1/deployments/acme/prod")).status).toBe(404);
  }, T);
});

describe.skipIf(!enabled)("GPU device requests as the scheduler creates them", () => {
  const created: string[] = [];
  afterAll(() => {
    if (created.length) docker("rm", "-f", ...created);
  });

  it("asks Docker for exactly the placed GPU (pinned to GPU 1 of two), with no start", async () => {
    // A runtime that creates for real but never starts: this machine has no NVIDIA driver.
    class CreateOnly extends DockerRuntime {
      override async start(id: string): Promise<ContainerState> {
        created.push(id);
        throw new Error("not started in this test");
      }
      override async remove(): Promise<void> {}
    }
    const inventory = {
      source: "nvidia-smi" as const,
      gpus: [0, 1].map((index) => ({ index, uuid: `GPU-${index}`, name: "Test GPU", memoryTotalMiB: 1, memoryUsedMiB: 0, simulated: false })),
    };
    const scheduler = new Scheduler({
      runtime: new CreateOnly("unix:///var/run/docker.sock"),
      clock: systemClock,
      logger: silentLogger,
      shmSizeBytes: 64 * 1024 * 1024,
      extraHosts: [],
      labels: { "dev.modelhub.test": "scheduler-gpu" },
      inventory,
      onSetupFailure: () => {},
      probe: checkHealth,
    });
    const spec = { versionId: "v", model: "acme/gpu", image: "modelhub-test/gpu-hello:latest", gpuCount: 1, pinnedGpus: [1], concurrency: 1, maxQueue: 1, idleTimeoutMs: 0, setupTimeoutMs: 1000 };
    const err = await scheduler.acquire(spec).catch((e) => e);
    expect(err.message).toContain("not started in this test");
    expect(created).toHaveLength(1);
    const info = JSON.parse(docker("inspect", created[0]).out)[0];
    expect(info.HostConfig.DeviceRequests).toEqual([{ Driver: "nvidia", Count: 0, DeviceIDs: ["1"], Capabilities: [["gpu"]], Options: null }]);
    expect(info.Config.Labels["dev.modelhub.gpus"]).toBe("1");
    expect(info.HostConfig.PortBindings["5000/tcp"][0].HostIp).toBe("127.0.0.1");
    await scheduler.close();
  }, T);
});
