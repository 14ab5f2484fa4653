// The one way an HTTP request becomes a prediction (by version, by model, by deployment): the body
// checked against its wire schema, the Prefer: wait and Cancel-After headers, preflight, create, and
// the sync answer.
import type { Static } from "elysia";
import type { Version } from "../../catalog/catalog.ts";
import { PredictionCreate, PredictionCreateByName } from "../../contract/wire-prediction.ts";
import { parseCancelAfter } from "../../predictions/cancel-after.ts";
import type { PredictionRecord } from "../../predictions/store.ts";
import { TERMINAL } from "../../predictions/store.ts";
import type { HttpDeps } from "../http-context.ts";
import { presentPrediction } from "../present.ts";
import { json, originOf } from "../respond.ts";
import { readBody } from "../transport/body.ts";

/** `Prefer: wait` → 60, `wait=N` → N clamped to 1..60; null when the client did not ask to wait. */
export function parsePreferWait(header: string | null): number | null {
  if (!header) return null;
  for (const part of header.split(",")) {
    const m = /^\s*wait(?:\s*=\s*(\d+))?\s*$/i.exec(part);
    if (m) return m[1] === undefined ? 60 : Math.min(60, Math.max(1, Number(m[1])));
  }
  return null;
}

// Both official clients treat any status but "starting" as final in sync mode, so an unfinished
// prediction must be reported as "starting" when the wait runs out (docs/replicate-api.md, Creating a prediction).
function presentSync(p: PredictionRecord, origin: string) {
  const out = presentPrediction(p, origin);
  if (!TERMINAL.has(p.status)) out.status = "starting";
  return out;
}

/** Which version a request runs: the one its body names (POST /v1/predictions), or the route's. */
export type VersionSource = "body" | (() => Version);

/**
 * Reads the request (its body checked against PredictionCreate, or PredictionCreateByName when the
 * route names the version), creates the prediction and answers 201: at once, or when it is done
 * (or the wait runs out) under `Prefer: wait`.
 */
export async function createPredictionFromRequest(d: HttpDeps, request: Request, source: VersionSource, deployment?: string): Promise<Response> {
  let body: Static<typeof PredictionCreateByName>;
  let version: Version;
  if (source === "body") {
    const b = await readBody(request, PredictionCreate, d.maxJsonBytes);
    version = d.predictions.resolveVersion(b.version);
    body = b;
  } else {
    body = await readBody(request, PredictionCreateByName, d.maxJsonBytes);
    version = source();
  }
  const origin = originOf(request, d.config.publicUrl);
  const wait = parsePreferWait(request.headers.get("prefer"));
  const cancelAfterMs = parseCancelAfter(request.headers.get("cancel-after"));
  const pending = d.predictions.preflight(version, deployment);
  if (pending) await pending; // nothing to await on the fast path: keep it synchronous
  const rec = d.predictions.create({
    version,
    input: body.input,
    source: request.headers.get("x-modelhub-source") === "web" ? "web" : "api",
    webhook: body.webhook ?? body.webhook_completed ?? null,
    webhookEventsFilter: body.webhook_events_filter ?? null,
    deployment,
    origin,
    clientWaits: wait !== null,
    cancelAfterMs,
  });
  if (wait === null) return json(presentPrediction(rec, origin), 201);
  const done = await d.predictions.waitFor(rec.id, wait * 1000);
  return json(presentSync(done, origin), 201, { "preference-applied": `wait=${wait}` });
}
