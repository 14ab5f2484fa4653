// Requests whose shape the routes cannot read are answered here, before routing, with a 400 that
// says what is wrong, instead of each handler tripping over them.
import { badRequest } from "../errors.ts";
import { problem } from "./respond.ts";

export function rejectMalformed(request: Request): Response | undefined {
  // Bun hands an HTTP/1.0 request without a Host header to the app with a bare path as its URL,
  // which every `new URL(request.url)` downstream would throw on.
  if (!URL.canParse(request.url)) return problem(badRequest("The request has no Host header (HTTP/1.0?): send Host with the server's address"));
  // Elysia passes a path parameter it cannot percent-decode as null.
  const path = new URL(request.url).pathname;
  try {
    decodeURIComponent(path);
  } catch {
    return problem(badRequest(`The path ${path.slice(0, 200)} has a malformed %-escape`));
  }
  return undefined;
}
