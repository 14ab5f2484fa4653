// GET /metrics (modelhub extension): Prometheus text exposition of predictions, queues, instances,
// boots, webhooks and HTTP requests (server/metrics/modelhub-metrics.ts says what each one is).
import { Elysia } from "elysia";
import type { HttpDeps } from "./http-context.ts";

export function metricsRoutes(d: HttpDeps) {
  return new Elysia({ name: "metrics" }).get(
    "/metrics",
    () => new Response(d.metrics.render(), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } }),
  );
}
