// The Cancel-After header: a Go-style duration ("90s", "1m", "1h30m", "500ms") or bare seconds.
// Pure. Replicate's exact grammar is unconfirmed; this accepts what its docs and callers show.
import { invalidInput } from "../errors.ts";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
export const MAX_CANCEL_AFTER_MS = 7 * 24 * 3_600_000;

/** Milliseconds, or null when the header is absent; a 422 naming the header when malformed. */
export function parseCancelAfter(header: string | null): number | null {
  if (header === null || header.trim() === "") return null;
  const s = header.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(s)) ms = Number(s) * 1000;
  else {
    const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
    ms = 0;
    let m: RegExpExecArray | null;
    let end = 0;
    while ((m = re.exec(s))) {
      ms += Number(m[1]) * UNIT_MS[m[2]];
      end = re.lastIndex;
    }
    if (end !== s.length || end === 0) ms = NaN;
  }
  if (!Number.isFinite(ms) || ms < 1000 || ms > MAX_CANCEL_AFTER_MS)
    throw invalidInput(`Cancel-After must be a duration from 1s to 168h such as 90s, 5m or 1h30m; got "${header}"`, [
      { field: "Cancel-After", rule: "format", message: "must be a duration from 1s to 168h (e.g. 90s, 5m, 1h30m)" },
    ]);
  return Math.round(ms);
}
