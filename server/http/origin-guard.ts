// Cross-site requests: a web page on another origin must not be able to change anything here, even
// with auth off. State-changing requests whose Origin is not this server's own (the Host it was
// reached at, or --public-url) get 403, and CORS answers only the origins in --cors-origins.
import { forbidden } from "../errors.ts";
import { problem } from "./respond.ts";

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);
const ALLOW_HEADERS = "authorization, content-type, prefer, cancel-after, x-modelhub-source";
const ALLOW_METHODS = "GET, HEAD, POST, PATCH, PUT, DELETE, QUERY";

export interface OriginGuard {
  /** a 403 or a preflight answer, or undefined to go on */
  check(request: Request): Response | undefined;
  /** CORS headers for an allowed cross-origin request's answer */
  decorate(request: Request, response: Response): void;
}

export function originGuard(publicUrl: string, corsOrigins: string): OriginGuard {
  const cors = new Set(corsOrigins.split(",").map((s) => s.trim().replace(/\/+$/, "")).filter(Boolean));
  const publicOrigin = publicUrl ? new URL(publicUrl).origin : null;
  const sameSite = (request: Request, origin: string) => {
    if (origin === publicOrigin || cors.has(origin)) return true;
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return false; // "null" (sandboxed frames, file://) and garbage
    }
    return host === (request.headers.get("host") ?? "").toLowerCase();
  };
  return {
    check(request) {
      const origin = request.headers.get("origin");
      if (request.method === "OPTIONS" && origin && cors.has(origin))
        return new Response(null, {
          status: 204,
          headers: {
            "access-control-allow-origin": origin,
            "access-control-allow-methods": ALLOW_METHODS,
            "access-control-allow-headers": ALLOW_HEADERS,
            "access-control-max-age": "600",
            vary: "Origin",
          },
        });
      if (SAFE.has(request.method) || origin === null || sameSite(request, origin)) return undefined;
      return problem(
        forbidden(`Cross-site ${request.method} from ${origin} refused: only pages served by this modelhub may change things here (an admin can allow an origin with --cors-origins)`),
      );
    },
    decorate(request, response) {
      const origin = request.headers.get("origin");
      if (!origin || !cors.has(origin)) return;
      response.headers.set("access-control-allow-origin", origin);
      response.headers.append("vary", "Origin");
    },
  };
}
