// The container callback listener: a second HTTP server bound to the Docker bridge gateway (what
// containers reach as host.docker.internal), serving only /internal/... routes, each guarded by
// an unguessable token: prediction webhooks, --upload-url PUTs, and stored files for large inputs.
// The user-facing API never listens here, and this never listens on the user's address.
import { Elysia } from "elysia";
import type { Config } from "../config.ts";
import { AppError, tooLarge } from "../errors.ts";
import type { FileService } from "../files/service.ts";
import type { Logger } from "../log.ts";
import type { PredictionService } from "../predictions/service.ts";
import type { CogPrediction } from "../cog/cog-container.ts";
import { toProblemResponse } from "./errors.ts";
import { json, readJsonObject } from "./respond.ts";
import { serveFile } from "./transport/serve-file.ts";

export interface InternalDeps {
  predictions: PredictionService;
  files: FileService;
  logger: Logger;
  /** webhook bodies carry the whole output and logs so far */
  maxWebhookBytes: number;
}

/** Room for a model's inline output (file outputs come as uploads, not in the webhook). */
const OUTPUT_ALLOWANCE = 64 * 1024 * 1024;

/**
 * The largest container webhook modelhub reads. Cog's webhooks carry the input back (json.dumps
 * escapes non-ASCII text: up to 3× its UTF-8 size, and inputs up to --max-body-size are accepted),
 * the logs so far (up to --max-log-size; twice for escapes) and the output. Under it, every answer
 * to an accepted input fits; over it, the prediction fails at once (containerWebhookRefused).
 */
export function containerWebhookLimit(c: Pick<Config, "maxBodySize" | "maxLogSize">): number {
  return 3 * c.maxBodySize + 2 * c.maxLogSize + OUTPUT_ALLOWANCE;
}

export function internalRoutes(d: InternalDeps) {
  const download = ({ request, params }: { request: Request; params: { token: string } }) => {
    const f = d.files.byToken(params.token);
    return serveFile(f, f ? d.files.blobPath(f) : null, request);
  };
  return new Elysia({ name: "internal" })
    .onError(({ error, code }) => toProblemResponse(error, code, d.logger))
    .post("/internal/webhooks/:token", async ({ request, params }) => {
      let body: Record<string, unknown>;
      try {
        body = await readJsonObject(request, d.maxWebhookBytes);
      } catch (err) {
        // Cog does not retry a 413: the answer is lost, so its prediction fails now with the reason
        // instead of holding the container's slot until --predict-timeout.
        if (err instanceof AppError && err.status === 413) d.predictions.containerWebhookRefused(params.token, err.detail);
        throw err;
      }
      d.predictions.containerWebhook(params.token, body as CogPrediction);
      return json({});
    })
    .put("/internal/uploads/:token/:name", async ({ request, params }) => {
      const len = Number(request.headers.get("content-length") ?? 0);
      if (len > d.files.maxBytes) throw tooLarge(`Output file is ${len} bytes; the limit is ${d.files.maxBytes}`);
      const location = await d.predictions.containerUpload({
        token: params.token,
        name: decodeURIComponent(params.name),
        contentType: request.headers.get("content-type"),
        body: request.body ?? new Uint8Array(),
        // Sent by Cog's Python server since 0.9.9; coglet does not, and then the output links it.
        predictionId: request.headers.get("x-prediction-id"),
      });
      return new Response(null, { status: 201, headers: { location } });
    })
    .get("/internal/files/:token", download)
    .get("/internal/files/:token/:name", download)
    .head("/internal/files/:token/:name", download);
}

export interface CallbackListener {
  hostname: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Listens on `hostname`, on `port` (the previous run's, which surviving containers still call) when
 * it is free, else on any free port. Throws when the address cannot be bound.
 */
export function startCallbackListener(d: InternalDeps, hostname: string, port: number | null = null): CallbackListener {
  if (port) {
    try {
      return listenOn(d, hostname, port);
    } catch (err) {
      d.logger.warn("the callback listener's previous port is taken; using another", { port, error: (err as Error).message });
    }
  }
  return listenOn(d, hostname, 0);
}

/** Containers' calls send bytes as they go; a silent connection this long is a dead one. */
const CALLBACK_IDLE_S = 120;

function listenOn(d: InternalDeps, hostname: string, port: number): CallbackListener {
  const app = internalRoutes(d);
  // reusePort off (Elysia turns it on): a port another modelhub holds must fail here and fall back,
  // or the kernel would split container callbacks between the two processes.
  // No server-wide body limit: each route bounds its own (webhooks by maxWebhookBytes, uploads by
  // --max-file-size as they stream), so an oversized webhook still reaches the handler, which fails
  // its prediction with the reason instead of a 413 nobody sees.
  app.listen({ hostname, port, idleTimeout: CALLBACK_IDLE_S, reusePort: false, maxRequestBodySize: Number.MAX_SAFE_INTEGER });
  const server = app.server!;
  return { hostname, port: server.port!, stop: async () => void (await app.stop(true).catch(() => {})) };
}

/**
 * Opens the callback listener per the --callback-host setting: "off" → none; "auto" → the Docker
 * bridge gateway (172.17.0.1 when the engine cannot be asked); else that address. Without one,
 * every prediction takes the sync path (no live logs, no streaming before the end).
 */
export async function openCallbackListener(
  d: InternalDeps,
  setting: string,
  discoverGateway: () => Promise<string | null>,
  preferredPort: number | null = null,
): Promise<CallbackListener | null> {
  if (setting === "off") return null;
  let host = setting === "auto" ? null : setting;
  if (!host)
    host = await discoverGateway().catch((err: Error) => {
      d.logger.warn("could not ask Docker for the bridge gateway; trying 172.17.0.1", { error: err.message });
      return "172.17.0.1";
    });
  if (!host) {
    d.logger.warn("no Docker bridge gateway found: predictions run without live logs and streaming (set --callback-host)");
    return null;
  }
  try {
    return startCallbackListener(d, host, preferredPort);
  } catch (err) {
    d.logger.warn("could not listen for container callbacks: predictions run without live logs and streaming (set --callback-host)", {
      address: host,
      error: (err as Error).message,
    });
    return null;
  }
}
