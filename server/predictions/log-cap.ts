// Bounds a prediction's logs. Append-only, so stream subscribers that have read a prefix stay
// right: the head is kept up to the cap, then one marker line; at the end the last lines (where
// tracebacks are) are added after the marker.

export const TRUNCATED_MARKER = "\n[modelhub: logs over the size limit were cut here]\n";
const TAIL_CHARS = 16 * 1024;

/** `current` (already capped) plus `delta` of new container logs. */
export function appendCapped(current: string, delta: string, cap: number): string {
  if (current.includes(TRUNCATED_MARKER)) return current;
  if (current.length + delta.length <= cap) return current + delta;
  return current + delta.slice(0, Math.max(0, cap - current.length)) + TRUNCATED_MARKER;
}

/** Final logs: the capped live logs, plus the container's last lines if the cap cut them off. */
export function finalCapped(current: string, rawFull: string, rawSeen: number, cap: number): string {
  const live = appendCapped(current, rawFull.slice(rawSeen), cap);
  if (!live.includes(TRUNCATED_MARKER)) return live;
  const tail = rawFull.slice(-Math.min(TAIL_CHARS, Math.floor(cap / 4)));
  return `${live}[… last ${tail.length} characters:]\n${tail}`;
}
