// createApp(deps): the Elysia app with every route mounted and one error handler. No side effects,
// so tests can call app.handle() on it.
import { Elysia } from "elysia";
import type { HttpDeps } from "./http/deps.ts";
import { toProblemResponse } from "./http/errors.ts";
import { healthRoutes } from "./http/health.ts";
import { instanceRoutes } from "./http/instances.ts";
import type { SchedulingDeps } from "./http/scheduling-deps.ts";
import { uiRoutes } from "./http/ui.ts";
import { deploymentRoutes } from "./http/v1/deployments.ts";
import { fileRoutes } from "./http/v1/files.ts";
import { hardwareRoutes } from "./http/v1/hardware.ts";
import { modelRoutes } from "./http/v1/models.ts";
import { policyRoutes } from "./http/v1/policy.ts";
import { predictionRoutes } from "./http/v1/predictions.ts";
import { streamRoutes } from "./http/v1/streams.ts";
import { webhookRoutes } from "./http/v1/webhooks.ts";

/** `scheduling` mounts policy, deployments, hardware and instances; tests of other routes may leave it out. */
export function createApp(deps: HttpDeps, scheduling?: SchedulingDeps) {
  const app = new Elysia()
    .onError(({ error, code }) => toProblemResponse(error, code, deps.logger))
    .use(healthRoutes(deps))
    .use(modelRoutes(deps))
    .use(predictionRoutes(deps))
    .use(streamRoutes(deps))
    .use(fileRoutes(deps))
    .use(webhookRoutes(deps));
  if (scheduling)
    app.use(policyRoutes(deps, scheduling)).use(deploymentRoutes(deps, scheduling)).use(hardwareRoutes(scheduling)).use(instanceRoutes(deps, scheduling));
  return app.use(uiRoutes());
}
