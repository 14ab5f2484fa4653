// The access rule of every route, in one place. The guard (access-guard.ts) enforces them before any
// handler runs; test/http/access-table.test.ts fails for a mounted route without a rule here.
//   anonymous  — anyone (health, the OpenAPI document, the web UI's pages: their data comes from the API)
//   capability — anyone holding the unguessable token in the path (stream and file URLs handed out
//                only to callers who may see the prediction or upload)
//   token      — any valid token; the handler then hides what the caller may not see (404, never 403)
//   admin      — admin tokens only (catalog changes, policies, deployments, instances, tokens, secrets,
//                metrics: they name every model, private ones too)
import type { MountedRoute } from "./route-table.ts";

export type Access = "anonymous" | "capability" | "token" | "admin";

export interface AccessRule extends MountedRoute {
  access: Access;
}

const r = (method: string, path: string, access: Access): AccessRule => ({ method, path, access });

export const ACCESS_RULES: readonly AccessRule[] = [
  r("GET", "/health", "anonymous"),
  r("GET", "/openapi.json", "anonymous"),
  r("GET", "/", "anonymous"),
  r("GET", "/models/:owner/:name", "anonymous"),
  r("GET", "/p/:id", "anonymous"),
  // The web UI's other pages: the page itself holds no data (it reads /v1 with the user's token).
  r("GET", "/models/new", "anonymous"),
  r("GET", "/predictions", "anonymous"),
  r("GET", "/instances", "anonymous"),
  r("GET", "/settings/tokens", "anonymous"),
  r("GET", "/sign-in", "anonymous"),

  r("GET", "/v1/streams/:token", "capability"),
  r("GET", "/v1/files/streams/:token", "capability"),
  r("GET", "/files/:token", "capability"),
  r("GET", "/files/:token/:name", "capability"),
  r("HEAD", "/files/:token", "capability"),
  r("HEAD", "/files/:token/:name", "capability"),

  r("GET", "/v1/account", "token"),
  r("GET", "/v1/collections", "token"),
  r("GET", "/v1/collections/:slug", "token"),
  r("GET", "/v1/hardware", "token"),
  r("GET", "/v1/models", "token"),
  r("QUERY", "/v1/models", "token"),
  r("GET", "/v1/models/:owner/:name", "token"),
  r("GET", "/v1/models/:owner/:name/readme", "token"),
  r("GET", "/v1/models/:owner/:name/versions", "token"),
  r("GET", "/v1/models/:owner/:name/versions/:id", "token"),
  r("POST", "/v1/models/:owner/:name/predictions", "token"),
  r("POST", "/v1/deployments/:owner/:name/predictions", "token"),
  r("POST", "/v1/predictions", "token"),
  r("GET", "/v1/predictions", "token"),
  r("GET", "/v1/predictions/:id", "token"),
  r("DELETE", "/v1/predictions/:id", "token"),
  r("POST", "/v1/predictions/:id/cancel", "token"),
  r("GET", "/v1/predictions/:id/queue", "token"),
  r("POST", "/v1/files", "token"),
  r("GET", "/v1/files", "token"),
  r("GET", "/v1/files/:id", "token"),
  r("DELETE", "/v1/files/:id", "token"),

  r("POST", "/v1/models", "admin"),
  r("PATCH", "/v1/models/:owner/:name", "admin"),
  r("DELETE", "/v1/models/:owner/:name", "admin"),
  r("POST", "/v1/models/:owner/:name/versions", "admin"),
  r("DELETE", "/v1/models/:owner/:name/versions/:id", "admin"),
  r("GET", "/v1/models/:owner/:name/policy", "admin"),
  r("PATCH", "/v1/models/:owner/:name/policy", "admin"),
  r("POST", "/v1/models/:owner/:name/versions/:id/retry", "admin"),
  r("GET", "/v1/deployments", "admin"),
  r("POST", "/v1/deployments", "admin"),
  r("GET", "/v1/deployments/:owner/:name", "admin"),
  r("PATCH", "/v1/deployments/:owner/:name", "admin"),
  r("DELETE", "/v1/deployments/:owner/:name", "admin"),
  r("GET", "/v1/instances", "admin"),
  r("POST", "/v1/instances/stop", "admin"),
  r("POST", "/v1/instances/:id/stop", "admin"),
  r("GET", "/v1/webhooks/default/secret", "admin"),
  r("GET", "/metrics", "admin"),
  // Images: pulling and loading change the catalog; an exported image holds a model, private or not.
  r("POST", "/v1/images/pull", "admin"),
  r("POST", "/v1/images/loads", "admin"),
  r("PUT", "/v1/images/loads/:id", "admin"),
  r("POST", "/v1/images/loads/:id/finish", "admin"),
  r("DELETE", "/v1/images/loads/:id", "admin"),
  r("GET", "/v1/models/:owner/:name/versions/:id/image", "admin"),
  r("GET", "/v1/tokens", "admin"),
  r("POST", "/v1/tokens", "admin"),
  r("DELETE", "/v1/tokens/:id", "admin"),
  // Nodes: a node's engine is root on that machine, and its listing names every model running there.
  r("GET", "/v1/nodes", "admin"),
  r("GET", "/v1/nodes/:name", "admin"),
  r("POST", "/v1/nodes", "admin"),
  r("POST", "/v1/nodes/:name/drain", "admin"),
  r("DELETE", "/v1/nodes/:name", "admin"),
];

/** How specific a template is: literal segments beat parameters, so /v1/instances/stop wins over /v1/instances/:id. */
const literals = (path: string) => path.split("/").filter((s) => !s.startsWith(":")).length;

function matches(template: string, path: string): boolean {
  const a = template.split("/");
  const b = path.split("/");
  return a.length === b.length && a.every((seg, i) => (seg.startsWith(":") ? b[i] !== "" : seg === b[i]));
}

/** The rule for a concrete request; HEAD falls back to GET (Bun answers HEAD for GET routes). */
export function ruleFor(method: string, path: string): AccessRule | undefined {
  const find = (m: string) =>
    ACCESS_RULES.filter((x) => x.method === m && matches(x.path, path)).sort((a, b) => literals(b.path) - literals(a.path))[0];
  return find(method) ?? (method === "HEAD" ? find("GET") : undefined);
}
