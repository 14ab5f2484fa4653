// `docker load` fed by several HTTP requests: the CLI sends an image tar in pieces (each within
// --max-body-size), which are written, in order, into one load the engine reads as they come. One
// owner for the open loads; a load nobody feeds for IDLE_MS is aborted so the engine is not held.
import { randomBytes } from "node:crypto";
import { AppError, badRequest, conflict, notFound, tooLarge } from "../errors.ts";
import type { ImageTransfer, LoadedImage } from "./image-transfer.ts";

const IDLE_MS = 5 * 60_000;
/** Loads open at once; more is a 429 (each one holds a request to the engine). */
export const MAX_LOADS = 8;

interface Engine {
  writer: WritableStreamDefaultWriter<Uint8Array>;
  result: Promise<LoadedImage[]>;
  /** rejects when the engine gives up, so a write waiting on it does not wait forever */
  failed: Promise<never>;
}

interface Load {
  /** the engine's load, started by the first part (an upload that never sends one costs nothing) */
  engine: Engine | null;
  received: number;
  busy: boolean;
  timer: ReturnType<typeof setTimeout>;
}

export class ImageLoads {
  private loads = new Map<string, Load>();
  constructor(private images: ImageTransfer, private idleMs = IDLE_MS) {}

  start(): string {
    if (this.loads.size >= MAX_LOADS)
      throw new AppError(429, "Too many requests", `${MAX_LOADS} image uploads are already in progress; finish or delete one (or wait ${this.idleMs / 60_000} minutes for an idle one to expire)`, { retryAfter: 60 });
    const id = randomBytes(16).toString("base64url");
    this.loads.set(id, { engine: null, received: 0, busy: false, timer: this.idle(id) });
    return id;
  }

  private engine(l: Load): Engine {
    if (l.engine) return l.engine;
    const pipe = new TransformStream<Uint8Array, Uint8Array>();
    const result = this.images.load(pipe.readable);
    const failed = result.then(() => new Promise<never>(() => {}));
    failed.catch(() => {}); // read by append and finish
    result.catch(() => {});
    return (l.engine = { writer: pipe.writable.getWriter(), result, failed });
  }

  private idle(id: string) {
    const timer = setTimeout(() => this.abort(id), this.idleMs);
    timer.unref?.();
    return timer;
  }

  private get(id: string): Load {
    const l = this.loads.get(id);
    if (!l) throw notFound(`No image upload ${id} (it finished, failed, or waited more than ${this.idleMs / 60_000} minutes for its next part)`);
    return l;
  }

  /** Writes the next piece; `offset` must be the bytes received so far (so a retried or reordered piece is refused). */
  async append(id: string, offset: number, body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<number> {
    const l = this.get(id);
    if (l.busy) throw conflict(`Image upload ${id} is already receiving a part`);
    if (offset !== l.received) throw conflict(`Image upload ${id} expected offset ${l.received}, got ${offset}`);
    l.busy = true;
    clearTimeout(l.timer);
    let n = 0;
    try {
      if (body)
        for await (const chunk of body as AsyncIterable<Uint8Array>) {
          n += chunk.byteLength;
          if (n > maxBytes) throw tooLarge(`A part may be at most ${maxBytes} bytes (--max-body-size); send smaller parts`);
          const e = this.engine(l);
          await Promise.race([e.writer.write(chunk), e.failed]);
        }
    } catch (err) {
      this.abort(id);
      throw await this.explain(l, err);
    }
    l.received += n;
    l.busy = false;
    l.timer = this.idle(id);
    return l.received;
  }

  /** Ends the tar and waits for the engine to finish loading it. */
  async finish(id: string): Promise<LoadedImage[]> {
    const l = this.get(id);
    if (l.busy) throw conflict(`Image upload ${id} is still receiving a part`);
    clearTimeout(l.timer);
    this.loads.delete(id);
    if (!l.engine) throw badRequest("Nothing was uploaded: send the image tar with PUT before finishing");
    try {
      await Promise.race([l.engine.writer.close(), l.engine.failed]);
      return await l.engine.result;
    } catch (err) {
      throw await this.explain(l, err);
    }
  }

  abort(id: string): void {
    const l = this.loads.get(id);
    if (!l) return;
    this.loads.delete(id);
    clearTimeout(l.timer);
    l.engine?.writer.abort(new Error("upload aborted")).catch(() => {});
  }

  /** The engine's own error when it failed, rather than the broken pipe it caused. */
  private async explain(l: Load, err: unknown): Promise<unknown> {
    if (err instanceof AppError || !l.engine) return err;
    const engine = await Promise.race([l.engine.result.then(() => null, (e: unknown) => e), new Promise((r) => setTimeout(() => r(null), 1000))]);
    return engine ?? err;
  }

  close(): void {
    for (const id of [...this.loads.keys()]) this.abort(id);
  }
}
