// Bounded memory for large JSON requests: a request's body is read, parsed, validated, copied into
// the prediction record and written, and a 50 MB body costs many times its size on the way (RSS
// rose by ~1 GB for one). Each large request holds a share of the --body-memory budget, counted
// from its declared size, for as long as it is handled; requests that do not fit wait their turn
// in arrival order. One request always runs, so a body within --max-body-size is never refused for
// being larger than the budget. Small requests (most of them) never wait.
import type { Config } from "../../config.ts";

/** Bodies up to this size are not counted: the fast path never waits. */
export const UNCOUNTED_BYTES = 1024 * 1024;
/** What handling a JSON body costs, as a multiple of its size (raw bytes, text, parsed value, copies). */
export const COST_FACTOR = 8;

export class BodyBudget {
  private inUse = 0;
  private running = 0;
  private waiting: { cost: number; go: () => void }[] = [];

  constructor(readonly bytes: number) {}

  static fromConfig(c: Pick<Config, "bodyMemory">): BodyBudget {
    return new BodyBudget(c.bodyMemory);
  }

  /**
   * What `request` counts against the budget: 0 for small bodies, and for uploads, registry layers
   * and image loads (multipart or binary, streamed to disk). JSON and text bodies (which JSON routes
   * read whole before they refuse the type) count.
   */
  static costOf(request: Request, maxBodyBytes: number): number {
    if (request.method === "GET" || request.method === "HEAD") return 0;
    const type = request.headers.get("content-type") ?? "";
    if (type && !/^(?:application\/(?:[\w.+-]+\+)?json|text\/)/i.test(type)) return 0;
    const declared = request.headers.get("content-length");
    const len = declared === null ? (request.body ? maxBodyBytes : 0) : Number(declared);
    if (!Number.isFinite(len) || len <= UNCOUNTED_BYTES) return 0;
    // An oversized one is refused before it is read (body-limit.ts): count no more than the limit.
    return Math.min(len, maxBodyBytes) * COST_FACTOR;
  }

  /** Runs `handle` once `cost` fits (at once when it is 0); the share is given back when it settles. */
  async run<T>(cost: number, handle: () => T | Promise<T>): Promise<T> {
    if (cost === 0) return handle();
    // In line behind anyone already waiting (first come, first served); next() counts it in.
    if (this.running > 0 && (this.waiting.length > 0 || this.inUse + cost > this.bytes)) await new Promise<void>((go) => this.waiting.push({ cost, go }));
    else this.admit(cost);
    try {
      return await handle();
    } finally {
      this.inUse -= cost;
      this.running--;
      this.next();
    }
  }

  /** Requests in line (for tests and metrics). */
  get queued(): number {
    return this.waiting.length;
  }

  /** Memory counted for the requests running now. */
  get used(): number {
    return this.inUse;
  }

  private admit(cost: number): void {
    this.inUse += cost;
    this.running++;
  }

  private next(): void {
    while (this.waiting.length > 0) {
      const first = this.waiting[0];
      if (this.running > 0 && this.inUse + first.cost > this.bytes) return;
      this.waiting.shift();
      this.admit(first.cost);
      first.go();
    }
  }
}
