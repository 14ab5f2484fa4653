// GET /health (modelhub extension): is the server up, and can it reach the Docker engine?
import { Elysia } from "elysia";
import type { HttpDeps } from "./http-context.ts";
import { json } from "./respond.ts";

export function healthRoutes(d: HttpDeps) {
  return new Elysia({ name: "health" }).get("/health", async () => {
    // Disk the registry (/v2/) uses: pushed layers stay there so team machines can pull them.
    const registry = d.registryDisk ? { registry: d.registryDisk() } : {};
    try {
      await d.runtime.ping();
      return json({ status: "ok", version: d.version, docker: { ok: true }, ...registry });
    } catch (err) {
      return json({ status: "degraded", version: d.version, docker: { ok: false, error: (err as Error).message }, ...registry }, 503);
    }
  });
}
