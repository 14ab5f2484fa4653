// Standard Webhooks signing: the test vector from docs/replicate-api.md, Webhooks (the JS client's own test),
// the secret's shape both clients parse, and the JS client's validateWebhook accepting our headers.
import { describe, expect, it } from "bun:test";
import { validateWebhook } from "replicate";
import { newMessageId, newWebhookSecret, signWebhook, verifyWebhook } from "../../server/webhooks/signing.ts";

describe("webhook signing", () => {
  it("matches the published test vector", () => {
    const sig = signWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}');
    expect(sig).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("makes secrets with exactly one underscore and a standard base64 key", () => {
    for (let i = 0; i < 50; i++) {
      const s = newWebhookSecret();
      expect(s.split("_")).toHaveLength(2); // Python: secret.key.split("_") must give 2 parts
      expect(s).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
      expect(Buffer.from(s.slice(6), "base64")).toHaveLength(32);
    }
  });

  it("gives each message its own id", () => {
    const ids = new Set(Array.from({ length: 100 }, newMessageId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^msg_[A-Za-z0-9_-]+$/);
  });

  it("is accepted by the official JS client's validateWebhook, and rejects a changed body", async () => {
    const secret = newWebhookSecret();
    const body = JSON.stringify({ id: "p1", status: "succeeded", output: "hello" });
    const id = newMessageId();
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = signWebhook(secret, id, timestamp, body);
    const headers = new Headers({ "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature });
    expect(await validateWebhook({ headers, body } as any, secret)).toBe(true);
    expect(await validateWebhook({ headers, body: body.replace("hello", "hellO") } as any, secret)).toBe(false);
    expect(verifyWebhook(secret, { id, timestamp, signature: `v1,bogus ${signature}` }, body)).toBe(true);
    expect(verifyWebhook(secret, { id, timestamp, signature }, body + " ")).toBe(false);
  });
});
