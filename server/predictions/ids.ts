// Opaque random identifiers: prediction ids shaped like Replicate's, and unguessable capability tokens.

const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

/** 26 lowercase base32 characters (130 bits of randomness, like Replicate's ids). */
export function newPredictionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(26));
  let s = "";
  for (const b of bytes) s += ALPHABET[b & 31];
  return s;
}

/** 32 bytes as URL-safe base64: for capability URLs that need no auth header. */
export function newToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}
