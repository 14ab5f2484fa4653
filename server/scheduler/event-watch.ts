// Follows one node's lifecycle event stream for modelhub's containers, reconnecting with backoff when
// it breaks (engine restart, a node lost), so a dying container is noticed at once rather than at the
// next request. A lost stream is also reported, so whoever owns the node can check whether it is down.
import type { Logger } from "../log.ts";
import type { LifecycleEvent, RuntimeNode } from "../runtime/runtime-node.ts";
import type { Clock } from "./clock.ts";

export class EventWatch {
  private unwatch: (() => void) | null = null;
  private failures = 0;
  private timer: unknown;
  private closed = false;

  constructor(
    private node: Pick<RuntimeNode, "name" | "watch">,
    private clock: Clock,
    private logger: Logger,
    private onEvent: (e: LifecycleEvent) => void,
    private onLost: (err: Error) => void = () => {},
  ) {}

  async start(): Promise<void> {
    if (this.closed) return;
    try {
      const unwatch = await this.node.watch(this.onEvent, (err) => this.lost(err));
      if (this.closed) return unwatch();
      this.unwatch = unwatch;
      this.failures = 0;
    } catch (err) {
      this.lost(err as Error);
    }
  }

  close(): void {
    this.closed = true;
    this.unwatch?.();
    this.clock.clearTimeout(this.timer);
  }

  private lost(err: Error): void {
    if (this.closed) return;
    this.unwatch = null;
    const wait = Math.min(30_000, 1_000 * 2 ** this.failures++);
    this.logger.warn("lost the Docker event stream; reconnecting", { error: err.message, inMs: wait, ...(this.node.name !== "local" ? { node: this.node.name } : {}) });
    this.onLost(err);
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => void this.start(), wait);
  }
}
