// Response helpers shared by the route modules: JSON, problem bodies, body parsing with limits.
import { AppError, badRequest, problemBody, tooLarge, unsupportedMediaType } from "../errors.ts";

export const JSON_HEADERS = { "content-type": "application/json" };

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

export function problem(e: AppError): Response {
  const headers: Record<string, string> = { "content-type": "application/problem+json" };
  if (e.extra.retryAfter !== undefined) headers["retry-after"] = String(e.extra.retryAfter);
  return new Response(JSON.stringify(problemBody(e)), { status: e.status, headers });
}

export const noContent = () => new Response(null, { status: 204 });

/**
 * Reads a JSON object body. An empty body counts as {} because the JS client sends
 * `Content-Type: application/json` with no body on some POSTs (cancel).
 */
export async function readJsonObject(request: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const declared = request.headers.get("content-length");
  const len = Number(declared ?? 0);
  if (len > maxBytes) throw tooLarge(`Request body is ${len} bytes; the limit is ${maxBytes}`);
  // A declared length is enforced by the server; a chunked body is counted as it comes.
  const text = declared !== null ? await request.text() : await readBounded(request, maxBytes);
  if (text.length > maxBytes) throw tooLarge(`Request body is over the ${maxBytes}-byte limit`);
  if (!text.trim()) return {};
  // A JSON route takes JSON only: text/plain and form bodies are what a cross-site page can send
  // without asking first, so they are refused rather than parsed.
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type))
    throw unsupportedMediaType(`This route takes a JSON body: send Content-Type: application/json (got ${type ? `"${type}"` : "none"})`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw badRequest(`Request body is not valid JSON: ${(err as Error).message}`);
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw badRequest("Request body must be a JSON object");
  return v as Record<string, unknown>;
}

/** A body without a declared length, read until it passes `maxBytes` (a 413 then, with nothing more buffered). */
async function readBounded(request: Request, maxBytes: number): Promise<string> {
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of request.body) {
    n += chunk.byteLength;
    if (n > maxBytes) throw tooLarge(`Request body is over the ${maxBytes}-byte limit`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The origin clients should use in absolute URLs: the configured one, else the request's own. */
export function originOf(request: Request, publicUrl: string): string {
  if (publicUrl) return publicUrl;
  const u = new URL(request.url);
  return u.origin;
}

/** Opaque cursor for keyset pagination. */
export function encodeCursor(v: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(v)).toString("base64url");
}
/**
 * A cursor from a `next`/`previous` URL. Anything else a client made up is a 400: the object must
 * carry every `required` key, and every value must be a string or a number (SQL binds nothing else).
 */
export function decodeCursor<T extends object>(s: string | null, required: readonly (keyof T & string)[]): T | undefined {
  if (!s) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(s, "base64url").toString("utf8"));
  } catch {
    value = null;
  }
  const scalar = (v: unknown) => typeof v === "string" || (typeof v === "number" && Number.isFinite(v));
  const ok =
    !!value &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    Object.values(value).every(scalar) &&
    required.every((k) => k in (value as object));
  if (!ok) throw badRequest("Invalid cursor: follow the `next` URL of a previous page as it is");
  return value as T;
}
