// Crash backoff: how long a pool waits before starting another container after repeated failures.
import type { Pool } from "./pool.ts";
import type { SchedulerState } from "./state.ts";

const BASE_MS = 1_000;
const MAX_MS = 60_000;

/**
 * The first unexpected exit restarts at once (a one-off crash or an OOM on a big input should not
 * delay the next user); from the second in a row the wait doubles: 1 s, 2 s, 4 s … up to a minute.
 */
export function backoffMs(consecutiveFailures: number): number {
  if (consecutiveFailures < 2) return 0;
  return Math.min(MAX_MS, BASE_MS * 2 ** (consecutiveFailures - 2));
}

/** Counts a failure in a row and sets the backoff before the pool may start again. */
export function countFailure(c: Pick<SchedulerState, "deps">, pool: Pool): void {
  pool.failures++;
  const wait = backoffMs(pool.failures);
  pool.backoffUntil = wait > 0 ? c.deps.clock.now() + wait : 0;
  if (wait > 0) c.deps.logger.warn("backing off before restarting", { model: pool.spec.model, failures: pool.failures, waitMs: wait });
}
