// The prediction core without Docker: real Cog-protocol containers (the fixture server run as plain
// processes by FakeRuntime), the real scheduler, PredictionRun, callback listener, files and SQLite.
// Proves a run's transitions (starting → processing → terminal), both container paths, the merging
// of container webhooks, file inputs and outputs, cancel, a container that dies under a prediction,
// and re-attaching an async prediction after modelhub restarts.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Version } from "../../server/catalog/catalog.ts";
import { ORIGIN, ProcessHub } from "../helpers/process-hub.ts";
import { until } from "../helpers/until.ts";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];

describe("prediction core (fixture processes, no Docker)", () => {
  let hub: ProcessHub;
  const v: Record<string, Version> = {};

  beforeAll(async () => {
    hub = await ProcessHub.start();
    for (const m of ["hello", "stream", "slow", "image", "crash"]) v[m] = await hub.addModel(m);
  }, 30_000);
  afterAll(() => hub.close());

  it("runs a waited-for prediction the sync way: starting, processing, succeeded, written once at the end", async () => {
    const p = hub.create({ version: v.hello, input: { text: "core" }, clientWaits: true });
    expect(p.status).toBe("starting");
    const trace = hub.trace(p.id);
    const done = await hub.settled(p.id);
    expect([done.status, done.output, done.error]).toEqual(["succeeded", "hello core", null]);
    // No live events: the sync answer arrives whole.
    expect(trace).toEqual(["start:processing", "completed:succeeded"]);
    expect(done.startedAt).not.toBeNull();
    expect(done.metrics.predict_time).toBeGreaterThan(0);
    await until("the final write", () => hub.services.store.get(p.id)?.status === "succeeded");
    expect(hub.services.store.get(p.id)).toMatchObject({ status: "succeeded", output: "hello core", instanceId: done.instanceId });
  }, 30_000);

  it("runs an async prediction and merges its webhooks in order: each item and log line once", async () => {
    const p = hub.create({ version: v.stream, input: { prompt: "a b c", count: 6 } });
    const outputs: unknown[][] = [];
    const unsub = hub.services.events.subscribe(p.id, (e) => {
      if (e.kind === "output") outputs.push([...(e.prediction.output as unknown[])]);
    });
    const done = await hub.settled(p.id);
    unsub();
    expect(done.status).toBe("succeeded");
    expect(done.output).toEqual(["a", " b", " c", " a", " b", " c"]);
    // Output arrived while it ran, growing, never repeating what was merged before.
    expect(outputs.length).toBeGreaterThan(1);
    for (let i = 1; i < outputs.length; i++) {
      expect(outputs[i].length).toBeGreaterThan(outputs[i - 1].length);
      expect(outputs[i].slice(0, outputs[i - 1].length)).toEqual(outputs[i - 1]);
    }
    for (let i = 1; i <= 6; i++) expect(done.logs.split(`generated token ${i}/6`).length - 1).toBe(1);
    // Stored as it ran (not only at the end): a polling client saw it processing.
    expect(hub.services.store.get(p.id)?.startedAt).not.toBeNull();
  }, 30_000);

  it("passes a file input and stores a file output, on both paths", async () => {
    const input = { init_image: "data:text/plain;base64,aGVsbG8=", width: 256, height: 16 };
    for (const clientWaits of [true, false]) {
      const p = hub.create({ version: v.image, input, clientWaits });
      const done = await hub.settled(p.id);
      expect(done.status).toBe("succeeded");
      expect(done.logs).toContain("init_image: 5 bytes of text/plain");
      const url = String(done.output);
      expect(url.startsWith(`${ORIGIN}/files/`)).toBe(true);
      const token = url.slice(`${ORIGIN}/files/`.length).split("/")[0];
      const file = hub.services.files.byToken(token)!;
      expect(file).not.toBeNull();
      expect([...(await hub.services.files.readBytes(file)).slice(0, 4)]).toEqual(PNG_SIGNATURE);
    }
  }, 30_000);

  it("cancels a running prediction in its container, which stays usable", async () => {
    const p = hub.create({ version: v.slow, input: { seconds: 30 } });
    await until("the model to log progress", () => hub.services.predictions.get(p.id).logs.includes("progress"));
    const canceled = await hub.services.predictions.cancel(p.id);
    expect(canceled.status).toBe("canceled");
    const next = hub.create({ version: v.slow, input: { seconds: 0.2 }, clientWaits: true });
    const done = await hub.settled(next.id);
    expect(done.status).toBe("succeeded");
    expect(done.instanceId).toBe(canceled.instanceId);
  }, 30_000);

  it("fails a prediction whose container dies, with the exit reason and its last logs, told by the lease", async () => {
    const p = hub.create({ version: v.crash, input: { text: "boom" }, clientWaits: true });
    const done = await hub.settled(p.id);
    expect(done.status).toBe("failed");
    expect(done.error).toContain("container stopped while running this prediction (killed (exit code 137, SIGKILL))");
    expect(done.logs).toContain("crashing with exit code 137");
  }, 30_000);

  it("fails an async prediction at once when its process is killed", async () => {
    const p = hub.create({ version: v.slow, input: { seconds: 30 } });
    await until("the model to log progress", () => hub.services.predictions.get(p.id).logs.includes("progress"));
    const container = hub.runtime.live().find((c) => `http://127.0.0.1:${c.port}` === hub.services.scheduler.get(p.instanceId ?? hub.services.predictions.get(p.id).instanceId!)?.baseUrl)!;
    hub.runtime.die(container.id, 137);
    const done = await hub.settled(p.id, 5_000);
    expect(done.status).toBe("failed");
    expect(done.error).toContain("exit code 137");
  }, 30_000);
});

describe("prediction core: restart (no Docker)", () => {
  it("re-attaches an async prediction whose container survived, and its webhooks complete it", async () => {
    const hub = await ProcessHub.start();
    try {
      const slow = await hub.addModel("slow");
      const p = hub.create({ version: slow, input: { seconds: 3 } });
      await until("the model to log progress", () => hub.services.predictions.get(p.id).logs.includes("progress"));
      const instanceId = hub.services.predictions.get(p.id).instanceId;
      await hub.restart();
      // The new modelhub knows it as still running, on the adopted container.
      expect(hub.services.predictions.get(p.id).status).toBe("processing");
      expect(hub.services.scheduler.get(instanceId!)?.adopted).toBe(true);
      const done = await hub.settled(p.id);
      expect([done.status, done.error, done.output]).toEqual(["succeeded", null, "finished after 3 seconds"]);
      // Logs from before the restart are not merged twice: every progress line (each names its own time) once.
      // (The model's last tick can be a few ms long and print the same rounded time as the one
      // before it, "3.00/3.00s" twice: those are two lines, not a merge repeating one.)
      const progress = done.logs.split("\n").filter((l) => l.startsWith("progress ") && !l.startsWith("progress 3.00/"));
      expect(progress.length).toBeGreaterThan(2);
      expect(new Set(progress).size).toBe(progress.length);
      await until("the final write", () => hub.services.store.get(p.id)?.status === "succeeded");
    } finally {
      await hub.close();
    }
  }, 60_000);
});
