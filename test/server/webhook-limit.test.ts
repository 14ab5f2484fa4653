// Container webhooks and the input limit (fixture processes, no Docker): Cog's final webhook echoes
// the input, so an input the API accepted must come back through the callback listener; and a
// webhook the listener refuses fails its prediction at once with the reason, freeing the model's
// slot, instead of leaving it `processing` until --predict-timeout.
import { afterEach, describe, expect, it } from "bun:test";
import { containerWebhookLimit } from "../../server/http/internal.ts";
import { ProcessHub } from "../helpers/process-hub.ts";

let hub: ProcessHub | null = null;
afterEach(async () => {
  await hub?.close();
  hub = null;
});

describe("container webhook limit", () => {
  it("follows from --max-body-size: every accepted input fits when the container echoes it", () => {
    const limit = containerWebhookLimit({ maxBodySize: 100 * 2 ** 20, maxLogSize: 2 ** 20 });
    // Cog escapes non-ASCII as \uXXXX: up to 3× the input's UTF-8 size, plus logs and output.
    expect(limit).toBeGreaterThanOrEqual(3 * 100 * 2 ** 20 + 2 * 2 ** 20);
  });

  it("takes back a 40 MB input echoed in the final webhook (the old 66 MiB cap refused it)", async () => {
    hub = await ProcessHub.start();
    const v = await hub.addModel("hello");
    const text = "x".repeat(40 * 1000 * 1000);
    // Not waited for: the async path, whose final webhook carries the input and the output ("hello " + input).
    const p = hub.create({ version: v, input: { text } });
    const done = await hub.settled(p.id, 80_000);
    expect(done.error).toBeNull();
    expect(done.status).toBe("succeeded");
    expect((done.output as string).length).toBe(text.length + 6);
  }, 120_000);

  it("fails a prediction at once, with the reason, when its webhook is refused; the next one runs", async () => {
    hub = await ProcessHub.start({}, { maxWebhookBytes: 256 * 1024 });
    const v = await hub.addModel("hello");
    const p = hub.create({ version: v, input: { text: "y".repeat(1024 * 1024) } });
    // --predict-timeout is 120 s in the hub: a prediction left `processing` would fail this wait.
    const done = await hub.settled(p.id, 15_000);
    expect(done.status).toBe("failed");
    expect(done.error).toContain("too large");
    expect(done.error).toContain(String(256 * 1024));
    const next = await hub.settled(hub.create({ version: v, input: { text: "small" } }).id, 15_000);
    expect([next.status, next.output]).toEqual(["succeeded", "hello small"]);
  }, 60_000);
});
