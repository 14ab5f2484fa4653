// Range requests on stored files (audio and video players seek with them). Pure.

export type RangeResult = { start: number; end: number } | "unsatisfiable" | null;

/**
 * One `bytes=` range of a `size`-byte file: inclusive start/end, "unsatisfiable" (416), or null
 * to serve the whole file (no header, a syntax it does not follow, or several ranges).
 */
export function parseRange(header: string | null, size: number): RangeResult {
  if (!header) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === "" && m[2] === "")) return null;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== "" && Number(m[2]) < start) return null;
  if (start >= size) return "unsatisfiable";
  return { start, end };
}
