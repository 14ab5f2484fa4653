// Proves that canceling a running prediction whose model ignores the cancel still ends it: after a
// grace period modelhub restarts the container, the prediction ends as canceled, and the next
// prediction gets a fresh container.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { dockerTests, startLiveServer, type LiveServer } from "../helpers/live-server.ts";
import { until } from "../helpers/until.ts";

const progressLines = (logs: string | null | undefined) => (logs ?? "").split("\n").filter((l) => l.startsWith("progress ")).length;

describe.skipIf(!dockerTests)("canceling a model that ignores the cancel", () => {
  let s: LiveServer;
  beforeAll(async () => {
    s = await startLiveServer();
    await s.addModel("modelhub-test/slow:latest", "acme/stubborn");
  }, 60_000);
  afterAll(async () => {
    await s?.[Symbol.asyncDispose]();
  });

  it("restarts the container after the grace period and the prediction ends canceled", async () => {
    const created = await s.api("POST", "/v1/predictions", { version: "acme/stubborn", input: { seconds: 120, ignore_cancel: true } });
    expect(created.status).toBe(201);
    const id = created.body.id;
    // A cold boot on a loaded machine can take a while: wait for its first progress line.
    await until("it to run", async () => /progress /.test((await s.api("GET", `/v1/predictions/${id}`)).body.logs ?? ""), 90_000);
    const before = (await s.api("GET", "/v1/instances")).body.instances.map((i: { id: string }) => i.id);
    expect(before.length).toBe(1);

    const linesBefore = progressLines((await s.api("GET", `/v1/predictions/${id}`)).body.logs);
    const canceled = await s.api("POST", `/v1/predictions/${id}/cancel`);
    expect(canceled.body.status).toBe("canceled");
    // It waited for the model first (CANCEL_GRACE_MS): the model went on logging after the cancel.
    // Counted in lines, not timed: the machine is shared.
    expect(progressLines(canceled.body.logs)).toBeGreaterThan(linesBefore);

    const next = await s.api("POST", "/v1/predictions", { version: "acme/stubborn", input: { seconds: 0.1 } }, { prefer: "wait" });
    expect(next.body.status).toBe("succeeded");
    const after = (await s.api("GET", "/v1/instances")).body.instances.map((i: { id: string }) => i.id);
    expect(after.some((i: string) => before.includes(i))).toBe(false); // a fresh container
  }, 180_000);
});
