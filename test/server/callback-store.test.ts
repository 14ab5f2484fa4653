// Container callbacks that outlive the process: the listener's port and the tokens a surviving container still uses, read back after a restart.
import { Database } from "bun:sqlite";
import { describe, expect, it } from "bun:test";
import { migrate } from "../../server/db/migrations.ts";
import { CallbackStore } from "../../server/predictions/callback-store.ts";
import { CallbackRegistry } from "../../server/predictions/callbacks.ts";

function db(): Database {
  const d = new Database(":memory:");
  migrate(d);
  return d;
}

describe("callback tokens across a restart", () => {
  it("keeps the listener port, the upload token per version and the webhook tokens in flight", () => {
    const d = db();
    const first = new CallbackRegistry(new CallbackStore(d));
    first.base = "http://host.docker.internal:41000";
    new CallbackStore(d).setListenerPort(41000);
    const upload = first.uploadUrl("v1")!;
    const hook = first.webhookUrl("p1");
    const other = first.webhookUrl("p2");
    first.dropWebhook(other.token); // finished: nothing to recover

    const store = new CallbackStore(d);
    const second = new CallbackRegistry(store);
    second.base = "http://host.docker.internal:41000";
    expect(store.listenerPort()).toBe(41000);
    expect(second.uploadUrl("v1")).toBe(upload);
    expect(second.versionForUploadToken(upload.split("/").at(-2)!)).toBe("v1");
    expect([...second.persistedWebhooks()]).toEqual([["p1", hook.token]]);
    // Until it is re-attached its webhooks are told to come back (503), not refused.
    expect(second.isPending(hook.token)).toBe(true);
    expect(second.predictionForWebhookToken(hook.token)).toBeUndefined();
    second.restoreWebhook("p1", hook.token);
    expect(second.isPending(hook.token)).toBe(false);
    expect(second.predictionForWebhookToken(hook.token)).toBe("p1");
    second.dropWebhook(hook.token);
    expect(new CallbackStore(d).webhooks().size).toBe(0);
  });

  it("has no port before the first listener", () => {
    expect(new CallbackStore(db()).listenerPort()).toBeNull();
  });
});
