// GET /v1/webhooks/default/secret: the key receivers verify modelhub's webhook signatures with.
import { Elysia } from "elysia";
import type { HttpDeps } from "../http-context.ts";
import { json } from "../respond.ts";

export function webhookRoutes(d: HttpDeps) {
  return new Elysia({ name: "v1-webhooks" }).get("/v1/webhooks/default/secret", () => json({ key: d.webhookSecrets.defaultSecret() }));
}
