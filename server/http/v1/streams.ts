// Prediction streams (urls.stream): Server-Sent Events at capability URLs that need no auth.
// Text models use /v1/streams/{token}; file-output models /v1/files/streams/{token}, where the JS
// client turns each output chunk into a FileOutput.
import { Elysia } from "elysia";
import { notFound } from "../../errors.ts";
import type { HttpDeps } from "../http-context.ts";
import { sseResponse } from "../transport/sse.ts";

export function streamRoutes(d: HttpDeps) {
  const open = (token: string) => {
    const handle = d.predictions.openStream(token);
    if (!handle) throw notFound("No such stream");
    return sseResponse(handle);
  };
  return new Elysia({ name: "v1-streams" })
    .get("/v1/streams/:token", ({ params }) => open(params.token))
    .get("/v1/files/streams/:token", ({ params }) => open(params.token));
}
