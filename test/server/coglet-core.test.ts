// modelhub against coglet (Cog 0.17+, the Rust server) and the pydantic-2 Python server, without
// Docker: the fixture server's coglet mode run as plain processes (ProcessHub), the real scheduler,
// PredictionRun, callback listener, files and SQLite. One test per difference modelhub must absorb
// (docs/cog-protocol.md, "coglet"): each fails if modelhub regresses on it.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { importImage } from "../../server/catalog/import-image.ts";
import type { Version } from "../../server/catalog/catalog.ts";
import { WORKER_CRASHED } from "../../server/cog/coglet-server.ts";
import { cogLabels } from "../fixtures/cog-server/labels.ts";
import { modelByName } from "../fixtures/cog-server/models/index.ts";
import { FIXTURE_MODEL_LABEL } from "../helpers/fake-runtime.ts";
import { ORIGIN, ProcessHub } from "../helpers/process-hub.ts";
import { until } from "../helpers/until.ts";

describe("coglet containers (fixture processes, no Docker)", () => {
  let hub: ProcessHub;
  const v: Record<string, Version> = {};

  beforeAll(async () => {
    hub = await ProcessHub.start();
    v.hello = await hub.addCogletModel("hello");
    v.pyHello = await hub.addModel("hello");
    v.slow = await hub.addCogletModel("slow");
    v.stream = await hub.addCogletModel("stream");
    v.files = await hub.addCogletModel("files", { env: { COG_FIXTURE_UPLOAD_DELAY_MS: "150" } });
    v.drop = await hub.addCogletModel("files", { name: "files-drop", env: { COG_FIXTURE_UPLOAD_FAIL: "out-1.txt" } });
    v.image = await hub.addCogletModel("image-typed");
    v.badSetup = await hub.addCogletModel("bad-setup");
    v.crash = await hub.addCogletModel("crash");
    v.slowHealth = await hub.addCogletModel("hello", { name: "slow-health", env: { COG_FIXTURE_HEALTHCHECK_MS: "3000" } });
    v.concurrent = await hub.addCogletModel("slow", { name: "concurrent", concurrency: 4 });
  }, 60_000);
  afterAll(() => hub.close());

  const instanceOf = (id: string | null) => hub.services.scheduler.list().find((i) => i.id === id);

  async function fileTexts(output: unknown): Promise<string[]> {
    const texts: string[] = [];
    for (const url of output as string[]) {
      const token = url.slice(`${ORIGIN}/files/`.length).split("/")[0];
      const file = hub.services.files.byToken(token)!;
      texts.push(new TextDecoder().decode(await hub.services.files.readBytes(file)));
    }
    return texts;
  }

  it("tells the runtime line from each container's health answer, not from the label", async () => {
    for (const [version, server] of [[v.hello, /^coglet 0\.22/], [v.pyHello, /^python$/]] as const) {
      const p = hub.create({ version, input: { text: "line" }, clientWaits: true });
      const done = await hub.settled(p.id);
      expect([done.status, done.output]).toEqual(["succeeded", "hello line"]);
      expect(instanceOf(done.instanceId)?.cogServer).toMatch(server);
    }
  }, 30_000);

  it("shows what a failed sync prediction printed (coglet answers logs: \"\")", async () => {
    const p = hub.create({ version: v.slow, input: { seconds: 0.5, fail: true }, clientWaits: true });
    const done = await hub.settled(p.id);
    expect(done.status).toBe("failed");
    expect(done.logs).toContain("progress");
  }, 30_000);

  it("does not publish or store a plain return's [value] output webhook", async () => {
    const p = hub.create({ version: v.hello, input: { text: "once" } });
    const outputs: unknown[] = [];
    const unsub = hub.services.events.subscribe(p.id, (e) => {
      if (e.kind === "output") outputs.push(e.prediction.output);
    });
    const done = await hub.settled(p.id);
    unsub();
    expect([done.status, done.output]).toEqual(["succeeded", "hello once"]);
    expect(outputs).toEqual([]);
  }, 30_000);

  it("keeps list outputs in the model's order and loses none, on both paths", async () => {
    for (const version of [v.files, v.drop])
      for (const clientWaits of [true, false]) {
        const p = hub.create({ version, input: { count: 3 }, clientWaits });
        const done = await hub.settled(p.id);
        expect(done.status).toBe("succeeded");
        expect(await fileTexts(done.output)).toEqual(["file 0 of 3\n", "file 1 of 3\n", "file 2 of 3\n"]);
      }
  }, 60_000);

  it("leaves a nullable input set to null out instead of sending null (coglet would answer 422)", async () => {
    const p = hub.create({ version: v.image, input: { seed: null, width: 256, height: 16 }, clientWaits: true });
    const done = await hub.settled(p.id);
    expect([done.status, done.error]).toEqual(["succeeded", null]);
  }, 30_000);

  it("shows what setup() printed when setup fails (coglet's health has only the error string)", async () => {
    const p = hub.create({ version: v.badSetup, input: { text: "x" }, clientWaits: true });
    const done = await hub.settled(p.id);
    expect(done.status).toBe("failed");
    expect(done.logs).toContain("found 0 weight files");
    expect(done.logs).toContain("Traceback");
  }, 30_000);

  it("fails a prediction whose worker crashed with that reason and replaces the container at once, on both paths", async () => {
    const digest = hub.runtime.images.get("acme/coglet-crash:latest")!.digest;
    const crashContainers = () => hub.runtime.containers.filter((c) => c.spec.image.includes(digest) || c.spec.image === "acme/coglet-crash:latest");
    for (const clientWaits of [true, false]) {
      const p = hub.create({ version: v.crash, input: { text: "boom" }, clientWaits });
      const done = await hub.settled(p.id);
      expect([done.status, done.error]).toEqual(["failed", WORKER_CRASHED]);
      // The container stays up after a crash; modelhub stops it without waiting for health checks.
      expect(crashContainers().length).toBeGreaterThan(0);
      await until("the crashed container to be stopped", () => crashContainers().every((c) => !c.running), 3_000);
    }
  }, 30_000);

  it("becomes ready although the model's healthcheck() takes 3 s (longer than the boot probe)", async () => {
    const p = hub.create({ version: v.slowHealth, input: { text: "patient" }, clientWaits: true });
    const done = await hub.settled(p.id, 25_000);
    expect([done.status, done.output]).toEqual(["succeeded", "hello patient"]);
  }, 30_000);

  it("streams an iterator's items live and in order, each once", async () => {
    const p = hub.create({ version: v.stream, input: { prompt: "a b c", count: 6 } });
    const lengths: number[] = [];
    const unsub = hub.services.events.subscribe(p.id, (e) => {
      if (e.kind === "output") lengths.push((e.prediction.output as unknown[]).length);
    });
    const done = await hub.settled(p.id);
    unsub();
    expect([done.status, done.output]).toEqual(["succeeded", ["a", " b", " c", " a", " b", " c"]]);
    expect(lengths.length).toBeGreaterThan(1);
    for (let i = 1; i < lengths.length; i++) expect(lengths[i]).toBeGreaterThan(lengths[i - 1]);
  }, 30_000);

  it("cancels a running prediction, sync or async, and the container stays usable", async () => {
    for (const clientWaits of [false, true]) {
      const p = hub.create({ version: v.slow, input: { seconds: 30 }, clientWaits });
      await until("the model to start", () => hub.services.predictions.get(p.id).status === "processing");
      await Bun.sleep(300);
      const canceled = await hub.services.predictions.cancel(p.id);
      expect((await hub.settled(p.id)).status).toBe("canceled");
      const next = hub.create({ version: v.slow, input: { seconds: 0.2 }, clientWaits: true });
      const done = await hub.settled(next.id);
      expect(done.status).toBe("succeeded");
      expect(done.instanceId).toBe(canceled.instanceId);
    }
  }, 60_000);

  it("gives a concurrency.max 4 model four slots per container; no 409 reaches a user", async () => {
    const ps = Array.from({ length: 6 }, () => hub.create({ version: v.concurrent, input: { seconds: 1 } }));
    let peak = 0;
    const sample = setInterval(() => {
      for (const i of hub.services.scheduler.list()) if (i.versionId === v.concurrent.id) peak = Math.max(peak, i.inFlight);
    }, 20);
    const done = await Promise.all(ps.map((p) => hub.settled(p.id, 25_000)));
    clearInterval(sample);
    expect(done.map((d) => d.status)).toEqual(Array(6).fill("succeeded"));
    expect(peak).toBe(4);
    expect(hub.services.scheduler.list().find((i) => i.versionId === v.concurrent.id)?.concurrency).toBe(4);
  }, 30_000);
});

describe("pydantic-2 Python server (fixture process, no Docker)", () => {
  it("runs a waited-for prediction whose sync answer is the known HTTP 500 the async way", async () => {
    const hub = await ProcessHub.start();
    try {
      const ref = "acme/pydantic2-image:latest";
      const info = hub.runtime.addImage(ref, { ...cogLabels(modelByName("image")), "run.cog.version": "0.15.5", [FIXTURE_MODEL_LABEL]: "image" });
      info.env = ["COG_FIXTURE_PYDANTIC2=1"];
      const version = (await importImage(hub.runtime, hub.services.catalog, ref)).version;
      const p = hub.create({ version, input: { width: 256, height: 16 }, clientWaits: true });
      const done = await hub.settled(p.id);
      expect([done.status, done.error]).toEqual(["succeeded", null]);
      expect(String(done.output).startsWith(`${ORIGIN}/files/`)).toBe(true);
    } finally {
      await hub.close();
    }
  }, 30_000);
});
