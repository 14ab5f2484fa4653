// Per-token limit on prediction creation: a token bucket per caller, `perMinute` deep, refilled
// continuously. Admin tokens (and auth off, the local admin) are not limited. A refused request is a
// 429 with Retry-After: when the next prediction may be created.
import type { Caller } from "../auth/caller.ts";
import { AppError } from "../errors.ts";

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private buckets = new Map<string, Bucket>();
  constructor(
    private perMinute: number,
    private now: () => number = Date.now,
  ) {}

  /** Takes one prediction from the caller's allowance, or throws the 429. */
  take(c: Caller): void {
    if (this.perMinute <= 0 || c.role === "admin") return;
    const now = this.now();
    const rate = this.perMinute / 60_000; // per ms
    const b = this.buckets.get(c.id) ?? { tokens: this.perMinute, at: now };
    b.tokens = Math.min(this.perMinute, b.tokens + (now - b.at) * rate);
    b.at = now;
    this.buckets.set(c.id, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return;
    }
    const retryAfter = Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000));
    throw new AppError(429, "Too many requests", `This token may create ${this.perMinute} predictions a minute; try again in ${retryAfter} s`, { retryAfter });
  }
}
