// Answers a GET/HEAD for a stored file's bytes: 200 (never a redirect: Python's client does not
// follow them), the stored Content-Type, and single Range requests (206/416).
import type { FileRecord } from "../../files/store.ts";
import { notFound } from "../../errors.ts";
import { parseRange } from "./range.ts";

export async function serveFile(f: FileRecord | null, path: string | null, request: Request): Promise<Response> {
  if (!f || !path) throw notFound("No such file");
  const file = Bun.file(path);
  if (!(await file.exists())) throw notFound("The file's bytes are gone from the data folder");
  const headers: Record<string, string> = {
    "content-type": f.contentType,
    "accept-ranges": "bytes",
    etag: `"${f.md5}"`,
    "cache-control": "private, max-age=86400",
    "content-disposition": `inline; filename*=UTF-8''${encodeURIComponent(f.name)}`,
    // Served on modelhub's origin: an uploaded HTML file must not run as modelhub's page.
    "x-content-type-options": "nosniff",
    "content-security-policy": "sandbox",
  };
  const head = request.method === "HEAD";
  const range = parseRange(request.headers.get("range"), f.size);
  if (range === "unsatisfiable")
    return new Response(null, { status: 416, headers: { ...headers, "content-range": `bytes */${f.size}` } });
  if (range) {
    const length = range.end - range.start + 1;
    return new Response(head ? null : file.slice(range.start, range.end + 1), {
      status: 206,
      headers: { ...headers, "content-range": `bytes ${range.start}-${range.end}/${f.size}`, "content-length": String(length) },
    });
  }
  return new Response(head ? null : file, { status: 200, headers: { ...headers, "content-length": String(f.size) } });
}
