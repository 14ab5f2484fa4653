// Proves that canceling a running prediction whose model ignores the cancel still ends it: after a
// grace period modelhub restarts the container, the prediction ends as canceled, and the next
// prediction gets a fresh container.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { CANCEL_GRACE_MS } from "../../server/predictions/service.ts";
import { dockerTests, startLiveServer, type LiveServer } from "../helpers/live-server.ts";
import { until } from "../helpers/until.ts";

describe.skipIf(!dockerTests)("canceling a model that ignores the cancel", () => {
  let s: LiveServer;
  beforeAll(async () => {
    s = await startLiveServer();
    await s.addModel("modelhub-test/slow:latest", "acme/stubborn");
  });
  afterAll(async () => {
    await s?.[Symbol.asyncDispose]();
  });

  it("restarts the container after the grace period and the prediction ends canceled", async () => {
    const created = await s.api("POST", "/v1/predictions", { version: "acme/stubborn", input: { seconds: 120, ignore_cancel: true } });
    expect(created.status).toBe(201);
    const id = created.body.id;
    await until("it to run", async () => (await s.api("GET", `/v1/predictions/${id}`)).body.status === "processing", 10_000);
    const before = (await s.api("GET", "/v1/instances")).body.instances.map((i: { id: string }) => i.id);
    expect(before.length).toBe(1);

    const t0 = performance.now();
    const canceled = await s.api("POST", `/v1/predictions/${id}/cancel`);
    expect(canceled.body.status).toBe("canceled");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(CANCEL_GRACE_MS - 100); // it waited for the model first

    const next = await s.api("POST", "/v1/predictions", { version: "acme/stubborn", input: { seconds: 0.1 } }, { prefer: "wait" });
    expect(next.body.status).toBe("succeeded");
    const after = (await s.api("GET", "/v1/instances")).body.instances.map((i: { id: string }) => i.id);
    expect(after.some((i: string) => before.includes(i))).toBe(false); // a fresh container
  }, 60_000);
});
