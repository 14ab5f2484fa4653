// createApp(deps): the Elysia app with every route mounted and one error handler. No side effects,
// so tests can call app.handle() on it.
import { Elysia } from "elysia";
import type { HttpDeps } from "./http/deps.ts";
import { toProblemResponse } from "./http/errors.ts";
import { healthRoutes } from "./http/health.ts";
import { uiRoutes } from "./http/ui.ts";
import { modelRoutes } from "./http/v1/models.ts";
import { predictionRoutes } from "./http/v1/predictions.ts";

export function createApp(deps: HttpDeps) {
  return new Elysia()
    .onError(({ error, code }) => toProblemResponse(error, code, deps.logger))
    .use(healthRoutes(deps))
    .use(modelRoutes(deps))
    .use(predictionRoutes(deps))
    .use(uiRoutes());
}
