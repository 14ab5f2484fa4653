// GET /health (modelhub extension): is the server up, and can it reach the Docker engine?
import { Elysia } from "elysia";
import type { HttpDeps } from "./http-context.ts";
import { json } from "./respond.ts";

export function healthRoutes(d: HttpDeps) {
  return new Elysia({ name: "health" }).get("/health", async () => {
    try {
      await d.runtime.ping();
      return json({ status: "ok", version: d.version, docker: { ok: true } });
    } catch (err) {
      return json({ status: "degraded", version: d.version, docker: { ok: false, error: (err as Error).message } }, 503);
    }
  });
}
