// Deleting a model (or one of its versions) also stops its containers, instead of leaving them to idle out.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { dockerTests, startLiveServer, type LiveServer } from "../helpers/live-server.ts";
import { until } from "../helpers/until.ts";

describe.skipIf(!dockerTests)("deleting what runs", () => {
  let s: LiveServer;
  beforeAll(async () => {
    s = await startLiveServer();
  });
  afterAll(async () => {
    await s?.[Symbol.asyncDispose]();
  });

  const instancesOf = async (model: string) =>
    ((await s.api("GET", "/v1/instances")).body.instances as { model: string; container_id: string }[]).filter((i) => i.model === model);
  const exists = (id: string) => Bun.spawnSync(["docker", "inspect", id]).exitCode === 0;

  it("stops a deleted model's container", async () => {
    await s.addModel("modelhub-test/hello:latest", "del/model");
    expect((await s.api("POST", "/v1/predictions", { version: "del/model", input: { text: "x" } }, { prefer: "wait" })).body.status).toBe("succeeded");
    const [inst] = await instancesOf("del/model");
    expect(exists(inst.container_id)).toBe(true);
    expect((await s.api("DELETE", "/v1/models/del/model")).status).toBe(204);
    await until("the container to go", async () => !exists(inst.container_id), 30_000);
    expect(await instancesOf("del/model")).toEqual([]);
  });

  it("stops a deleted version's container", async () => {
    const v = await s.addModel("modelhub-test/stream:latest", "del/version");
    expect((await s.api("POST", "/v1/predictions", { version: v, input: { prompt: "a", count: 1 } }, { prefer: "wait" })).body.status).toBe("succeeded");
    const [inst] = await instancesOf("del/version");
    expect((await s.api("DELETE", `/v1/models/del/version/versions/${v}`)).status).toBe(204);
    await until("the container to go", async () => !exists(inst.container_id), 30_000);
  });
});
