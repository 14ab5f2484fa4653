// Gives memory back once the server goes quiet after traffic. Under load JavaScriptCore compiles the
// hot request paths (baseline, DFG and FTL code with its profiling data) and its heap grows; a Bun
// process that then sits idle keeps all of it: about 25 MB more than right after start, measured by
// test/bench/idle-rss.ts. After a quiet period the compiled code is dropped and the heap collected
// (a pause of a few ms while nothing is being served); the next request runs interpreted until its
// path is hot again.

/** What gives the memory back: JSC drops compiled code when idle (Bun.shrink), then a full collection. */
function shrinkNow(): void {
  Bun.shrink();
  setTimeout(() => Bun.gc(true), 500).unref();
}

export class IdleMemory {
  private seen = false;
  /** Start-up counts as work: its code is not needed again. */
  private busySinceShrink = true;
  private readonly timer: ReturnType<typeof setInterval>;

  /** `quietMs`: how long without a request counts as quiet (checked every quietMs). */
  constructor(quietMs = 5_000, private readonly shrink: () => void = shrinkNow) {
    this.timer = setInterval(() => this.tick(), quietMs);
    this.timer.unref();
  }

  /** Called for every request: cheap, one flag. */
  touch(): void {
    this.seen = true;
  }

  /** A whole interval without a request after some traffic: shrink once. */
  tick(): void {
    if (this.seen) {
      this.seen = false;
      this.busySinceShrink = true;
    } else if (this.busySinceShrink) {
      this.busySinceShrink = false;
      this.shrink();
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}
