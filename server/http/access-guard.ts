// The one guard in front of every route: finds the route's rule (access-rules.ts), identifies the
// caller from `Authorization: Bearer mh_…` or `Token mh_…`, and answers 401/403 before any handler
// runs. Handlers read the caller with callerOf(request) to hide what it may not see.
import type { Caller } from "../auth/caller.ts";
import { LOCAL_ID } from "../auth/caller.ts";
import type { TokenStore } from "../auth/tokens.ts";
import { AppError, forbidden, unauthorized } from "../errors.ts";
import { ruleFor } from "./access-rules.ts";
import { problem } from "./respond.ts";

const callers = new WeakMap<Request, Caller>();

/** The caller the guard identified; routes under "token" or "admin" rules always have one. */
export function callerOf(request: Request): Caller {
  const c = callers.get(request);
  if (!c) throw new AppError(500, "Internal error", "route without an access rule asked for its caller");
  return c;
}

/** The token in an Authorization header (Bearer or Token scheme), or null. */
export function presentedToken(request: Request): string | null {
  const m = /^\s*(?:bearer|token)\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "");
  return m ? m[1] : null;
}

function challenge(detail: string): Response {
  const res = problem(unauthorized(detail));
  res.headers.set("www-authenticate", 'Bearer realm="modelhub"');
  return res;
}

export interface AccessGuardOptions {
  /** --auth on */
  auth: boolean;
  /** the account name when auth is off */
  username: string;
  tokens: TokenStore;
}

export function accessGuard(o: AccessGuardOptions): (request: Request) => Response | undefined {
  const local: Caller = { id: LOCAL_ID, name: o.username, role: "admin" };
  return (request) => {
    if (!o.auth) {
      callers.set(request, local);
      return undefined;
    }
    const path = new URL(request.url).pathname;
    // A path without a rule (an unknown one, or a route someone forgot to list) is admin-only.
    const access = ruleFor(request.method, path)?.access ?? "admin";
    const presented = presentedToken(request);
    const rec = presented ? o.tokens.verify(presented) : null;
    if (rec) callers.set(request, { id: rec.id, name: rec.name, role: rec.role });
    if (access === "anonymous" || access === "capability") return undefined;
    if (!rec)
      return challenge(
        presented
          ? "The token is not valid (mistyped or revoked); ask an admin for one (modelhub tokens create)"
          : "This modelhub needs a token: send Authorization: Bearer mh_… (an admin makes one with modelhub tokens create)",
      );
    if (access === "admin" && rec.role !== "admin") return problem(forbidden(`${request.method} ${path} needs an admin token`));
    return undefined;
  };
}
