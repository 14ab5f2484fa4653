// Follows Docker's event stream for modelhub's containers, reconnecting with backoff when it breaks
// (engine restart), so a dying container is noticed at once rather than at the next request.
import type { Logger } from "../log.ts";
import type { ContainerEvent, ContainerRuntime } from "../runtime/runtime.ts";
import type { Clock } from "./clock.ts";

export class EventWatch {
  private unwatch: (() => void) | null = null;
  private failures = 0;
  private timer: unknown;
  private closed = false;

  constructor(
    private runtime: ContainerRuntime,
    private clock: Clock,
    private logger: Logger,
    private onEvent: (e: ContainerEvent) => void,
  ) {}

  async start(): Promise<void> {
    if (this.closed) return;
    try {
      this.unwatch = await this.runtime.events(this.onEvent, (err) => this.lost(err));
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
    this.logger.warn("lost the Docker event stream; reconnecting", { error: err.message, inMs: wait });
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => void this.start(), wait);
  }
}
