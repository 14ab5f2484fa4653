// Standard Webhooks (Svix) signing, the scheme both official clients verify: HMAC-SHA256 over
// "{webhook-id}.{webhook-timestamp}.{body}" keyed with the base64 part of "whsec_<base64>".
import { createHmac } from "node:crypto";

/** whsec_ + standard base64 of 32 random bytes. Exactly one "_": Python splits on it. */
export function newWebhookSecret(): string {
  return `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64")}`;
}

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64");
}

/** `v1,<standard base64 with padding>` */
export function signWebhook(secret: string, id: string, timestamp: number | string, body: string): string {
  const mac = createHmac("sha256", keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest("base64");
  return `v1,${mac}`;
}

/** True when any of the space-separated `v1,` signatures matches (for tests and receivers). */
export function verifyWebhook(secret: string, headers: { id: string; timestamp: string; signature: string }, body: string): boolean {
  const expected = signWebhook(secret, headers.id, headers.timestamp, body);
  return headers.signature.split(" ").some((s) => s === expected);
}

/** `msg_` + 24 random base62-ish characters: one per message, the same on every retry. */
export function newMessageId(): string {
  return `msg_${Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64url")}`;
}
