// GET /v1/account: who the token belongs to (both official clients call it: accounts.current()).
// With auth off it is the one local account, named by --username (default: the user running modelhub).
// `role` and `auth` are modelhub extensions: the web UI decides from them what to show.
import { Elysia } from "elysia";
import type { HttpDeps } from "../http-context.ts";
import { callerOf } from "../access-guard.ts";
import { json } from "../respond.ts";

export function accountRoutes(d: HttpDeps) {
  return new Elysia({ name: "v1-account" }).get("/v1/account", ({ request }) => {
    const c = callerOf(request);
    return json({ type: "user", username: c.name, name: c.name, role: c.role, auth: d.config.auth });
  });
}
