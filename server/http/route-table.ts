// What the mounted routes look like from outside: path templates in OpenAPI form, and which methods
// a concrete path answers to (so a wrong method is a 405 with Allow, not a misleading 404).
import { AppError } from "../errors.ts";
import { problem } from "./respond.ts";

export interface MountedRoute {
  method: string;
  path: string;
}

/** "/v1/models/:owner/:name" → "/v1/models/{owner}/{name}" */
export const openApiPath = (elysiaPath: string) => elysiaPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

/** Both forms reduced to one shape, for comparing templates whatever their parameter names. */
export const pathShape = (path: string) => path.replace(/:[A-Za-z0-9_]+|\{[^}]+\}/g, "{}");

function matches(template: string, path: string): boolean {
  const a = template.split("/");
  const b = path.split("/");
  if (a.length !== b.length) return false;
  return a.every((seg, i) => (seg.startsWith(":") ? b[i] !== "" : seg === b[i]));
}

/** Methods routed for `path`, or [] when no route has that path at all. */
export function methodsFor(routes: readonly MountedRoute[], path: string): string[] {
  const out = new Set<string>();
  for (const r of routes) if (r.path !== "*" && matches(r.path, path)) out.add(r.method === "ALL" ? "*" : r.method);
  // Bun answers HEAD for every GET route by itself.
  if (out.has("GET")) out.add("HEAD");
  return [...out].sort();
}

/** The answer for a request no route took: 405 with Allow when the path exists under other methods, else 404. */
export function noRouteResponse(method: string, path: string, routes: readonly MountedRoute[]): Response {
  const allowed = methodsFor(routes, path);
  if (allowed.length && !allowed.includes("*") && !allowed.includes(method)) {
    const res = problem(new AppError(405, "Method not allowed", `${method} is not allowed on ${path}; use ${allowed.join(", ")}`));
    res.headers.set("allow", allowed.join(", "));
    return res;
  }
  const trimmed = path.length > 1 && path.endsWith("/") ? path.replace(/\/+$/, "") : null;
  const hint = trimmed && methodsFor(routes, trimmed).length ? `; paths have no trailing slash, try ${trimmed}` : "";
  return problem(new AppError(404, "Not found", `No route for ${method} ${path}${hint}`));
}
