// Crash backoff: how long a pool waits before starting another container after repeated failures.

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
