// The request-size guard that runs before routing: a body declared larger than modelhub accepts is
// answered 413 with a problem body saying the limit, before a byte of it is read.
import { tooLarge } from "../../errors.ts";
import { problem } from "../respond.ts";

export interface BodyLimits {
  /** JSON and text bodies (--max-body-size) */
  json: number;
  /** multipart uploads (--max-file-size plus room for the form's own parts) */
  multipart: number;
}

/** Room for a multipart form's boundaries, headers and metadata part around the file itself. */
export const MULTIPART_OVERHEAD = 2 * 1024 * 1024;

export function formatBytes(n: number): string {
  for (const [unit, size] of [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const)
    if (n >= size) return `${Math.round((n / size) * 10) / 10} ${unit}`;
  return `${n} bytes`;
}

/** A 413 response when Content-Length is over the limit for this kind of body; undefined to go on. */
export function rejectOversized(request: Request, limits: BodyLimits): Response | undefined {
  const declared = request.headers.get("content-length");
  if (declared === null) return undefined;
  const len = Number(declared);
  const multipart = /^multipart\//i.test(request.headers.get("content-type") ?? "");
  const limit = multipart ? limits.multipart : limits.json;
  if (!Number.isFinite(len) || len <= limit) return undefined;
  const what = multipart ? "uploads" : "request bodies";
  const setting = multipart ? "--max-file-size" : "--max-body-size";
  return problem(
    tooLarge(`The request body is ${formatBytes(len)}; this server accepts ${what} up to ${formatBytes(limit)} (its administrator can change that with ${setting})`),
  );
}
