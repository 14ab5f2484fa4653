// createApp(deps): the Elysia app with every route mounted and one error handler. No side effects,
// so tests can call app.handle() on it.
import { Elysia } from "elysia";
import { MULTIPART_OVERHEAD, rejectOversized } from "./http/transport/body-limit.ts";
import type { HttpDeps } from "./http/http-context.ts";
import { toProblemResponse } from "./http/errors.ts";
import { healthRoutes } from "./http/health.ts";
import { accessGuard } from "./http/access-guard.ts";
import { metricsRoutes } from "./http/metrics.ts";
import { hostGuard } from "./http/host-guard.ts";
import { originGuard } from "./http/origin-guard.ts";
import { rejectMalformed } from "./http/request-shape.ts";
import { instanceRoutes } from "./http/v1/instances.ts";
import { openApiRoutes } from "./http/openapi.ts";
import { type MountedRoute, noRouteResponse } from "./http/route-table.ts";
import type { SchedulingDeps } from "./http/scheduling-context.ts";
import { uiRoutes } from "./http/ui.ts";
import { accountRoutes } from "./http/v1/account.ts";
import { collectionRoutes } from "./http/v1/collections.ts";
import { deploymentRoutes } from "./http/v1/deployments.ts";
import { fileRoutes } from "./http/v1/files.ts";
import { hardwareRoutes } from "./http/v1/hardware.ts";
import { imageRoutes } from "./http/v1/images.ts";
import { modelRoutes } from "./http/v1/models.ts";
import { policyRoutes } from "./http/v1/policy.ts";
import { predictionRoutes } from "./http/v1/predictions.ts";
import { streamRoutes } from "./http/v1/streams.ts";
import { tokenRoutes } from "./http/v1/tokens.ts";
import { nodeRoutes } from "./http/v1/nodes.ts";
import { webhookRoutes } from "./http/v1/webhooks.ts";
import { isRegistryPath, registryHandler, type RegistryHttpDeps } from "./http/v2/registry-routes.ts";

/**
 * `scheduling` mounts policy, deployments, hardware and instances; tests of other routes may leave it out.
 * `registry` answers the distribution API (/v2/) ahead of routing: its bodies are layers, streamed to
 * disk, never parsed and not bound by the JSON body limit.
 */
export function createApp(deps: HttpDeps, scheduling?: SchedulingDeps, registry?: RegistryHttpDeps) {
  const handleRegistry = registry ? registryHandler(registry) : null;
  const guardHost = hostGuard(deps.config.host, deps.config.publicUrl, deps.config.nodeRegistryUrl);
  const guardOrigin = originGuard(deps.config.publicUrl, deps.config.corsOrigins);
  const guardAccess = accessGuard({ auth: deps.config.auth === "on", username: deps.config.username, tokens: deps.tokens });
  const limits = { json: deps.maxJsonBytes, multipart: deps.config.maxFileSize + MULTIPART_OVERHEAD };
  // strictPath: /v1/models/ is a 404 that names /v1/models, never a silent alias or a redirect
  // (httpx does not follow redirects).
  // Read lazily (after every module is mounted) by the 405 check and the OpenAPI document.
  const routes = (): MountedRoute[] => [...app.routes, ...uiRoutes];
  const app = new Elysia({ strictPath: true })
    // In this order: a malformed request, a rebound Host, a cross-site write, the registry (/v2/,
    // its own auth), a missing token, then an oversized body.
    .onRequest(({ request }) => {
      const refused = rejectMalformed(request) ?? guardHost(request);
      if (refused) return refused;
      const crossSite = guardOrigin.check(request);
      if (crossSite) return crossSite;
      if (handleRegistry && isRegistryPath(new URL(request.url).pathname)) return handleRegistry(request);
      return guardAccess(request) ?? rejectOversized(request, limits);
    })
    .onAfterHandle({ as: "global" }, ({ request, response }) => {
      if (response instanceof Response) guardOrigin.decorate(request, response);
    })
    .onError(({ error, code, request, path }) => {
      const res = code === "NOT_FOUND" ? noRouteResponse(request.method, path, routes()) : toProblemResponse(error, code, deps.logger, deps.config.dataDir);
      guardOrigin.decorate(request, res);
      return res;
    })
    // Counted once answered: the route template (not the raw path) keeps the label set small.
    .onAfterResponse({ as: "global" }, ({ request, route, set, responseValue }) => {
      const status = responseValue instanceof Response ? responseValue.status : typeof set.status === "number" ? set.status : 200;
      deps.metrics.requestAnswered(request.method, route || "unmatched", status);
    })
    .use(healthRoutes(deps))
    .use(metricsRoutes(deps))
    .use(openApiRoutes(deps, routes))
    .use(accountRoutes(deps))
    .use(collectionRoutes(deps, scheduling))
    .use(modelRoutes(deps, scheduling))
    .use(predictionRoutes(deps))
    .use(streamRoutes(deps))
    .use(fileRoutes(deps))
    .use(webhookRoutes(deps))
    .use(tokenRoutes(deps));
  if (deps.images) app.use(imageRoutes(deps, deps.images));
  if (deps.nodes) app.use(nodeRoutes(deps, deps.nodes));
  if (scheduling)
    app.use(policyRoutes(deps, scheduling)).use(deploymentRoutes(deps, scheduling)).use(hardwareRoutes(scheduling)).use(instanceRoutes(deps, scheduling));
  return app;
}
