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
import { invalidInput } from "../../errors.ts";
import { callerOf } from "../access-guard.ts";
import { visibleVersion } from "../visibility.ts";

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

/** A webhook target the policy allows (422 naming `webhook` otherwise). */
async function checkWebhook(d: HttpDeps, url: string | null): Promise<string | null> {
  if (url === null) return null;
  const refused = await d.targets.refusal(url);
  if (refused) throw invalidInput(`webhook ${refused}; an admin can allow a target with --webhook-allow`, [{ field: "webhook", rule: "target", message: refused }]);
  return url;
}

/**
 * URLs in the input are fetched by the model's container: the same policy as webhooks, except
 * URLs on modelhub's own origins, which the file bridge checks and hands to the container itself.
 */
async function checkInputUrls(d: HttpDeps, input: unknown, origin: string): Promise<void> {
  if (!input || typeof input !== "object" || Array.isArray(input)) return;
  for (const [key, value] of Object.entries(input as Record<string, unknown>))
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v !== "string" || !/^https?:\/\//i.test(v) || v.startsWith(`${origin}/`) || d.targets.isOwnOrigin(v)) continue;
      const refused = await d.targets.refusal(v);
      if (refused) throw invalidInput(`${key} ${refused}; an admin can allow a target with --webhook-allow`, [{ field: key, rule: "target", message: refused }]);
    }
}

/** Which version a request runs: the one its body names (POST /v1/predictions), or the route's. */
export type VersionSource = "body" | (() => Version);

/**
 * Reads the request (its body checked against PredictionCreate, or PredictionCreateByName when the
 * route names the version), creates the prediction and answers 201: at once, or when it is done
 * (or the wait runs out) under `Prefer: wait`.
 */
export async function createPredictionFromRequest(d: HttpDeps, request: Request, source: VersionSource, deployment?: string): Promise<Response> {
  d.predictionLimit.take(callerOf(request));
  let body: Static<typeof PredictionCreateByName>;
  let version: Version;
  if (source === "body") {
    const b = await readBody(request, PredictionCreate, d.maxJsonBytes);
    version = visibleVersion(d, request, d.predictions.resolveVersion(b.version), b.version);
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
  const webhook = await checkWebhook(d, body.webhook ?? body.webhook_completed ?? null);
  await checkInputUrls(d, body.input, origin);
  const rec = d.predictions.create({
    version,
    input: body.input,
    source: request.headers.get("x-modelhub-source") === "web" ? "web" : "api",
    webhook,
    webhookEventsFilter: body.webhook_events_filter ?? null,
    deployment,
    origin,
    clientWaits: wait !== null,
    cancelAfterMs,
    createdBy: callerOf(request).id,
  });
  if (wait === null) return json(presentPrediction(rec, origin), 201);
  const done = await d.predictions.waitFor(rec.id, wait * 1000);
  // Told `succeeded` only once that is stored: a full disk is a 507 here, not a lost prediction.
  if (TERMINAL.has(done.status)) d.predictions.ensureStored(done.id);
  return json(presentSync(done, origin), 201, { "preference-applied": `wait=${wait}` });
}
