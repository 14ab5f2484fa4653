// The one way an HTTP request becomes a prediction (by version, by model, by deployment): body and
// header parsing (Prefer: wait, Cancel-After, webhook fields), preflight, create, and the sync answer.
import type { Version } from "../../catalog/catalog.ts";
import { invalidInput } from "../../errors.ts";
import { parseCancelAfter } from "../../predictions/cancel-after.ts";
import type { PredictionRecord } from "../../predictions/store.ts";
import { TERMINAL } from "../../predictions/store.ts";
import type { HttpDeps } from "../http-context.ts";
import { presentPrediction } from "../present.ts";
import { json, originOf, readJsonObject } from "../respond.ts";

/** `Prefer: wait` → 60, `wait=N` → N clamped to 1..60; null when the client did not ask to wait. */
export function parsePreferWait(header: string | null): number | null {
  if (!header) return null;
  for (const part of header.split(",")) {
    const m = /^\s*wait(?:\s*=\s*(\d+))?\s*$/i.exec(part);
    if (m) return m[1] === undefined ? 60 : Math.min(60, Math.max(1, Number(m[1])));
  }
  return null;
}

function eventsFilter(v: unknown): string[] | null {
  if (v === undefined || v === null) return null;
  const allowed = new Set(["start", "output", "logs", "completed"]);
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string" || !allowed.has(x)))
    throw invalidInput("webhook_events_filter must be a list of start, output, logs, completed", [
      { field: "webhook_events_filter", rule: "enum", message: "must contain only start, output, logs, completed" },
    ]);
  return v as string[];
}

function webhookUrl(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== "string" || !/^https?:\/\//.test(v))
    throw invalidInput("webhook must be an http(s) URL", [{ field: "webhook", rule: "format", message: "must be an http(s) URL" }]);
  return v;
}

// Both official clients treat any status but "starting" as final in sync mode, so an unfinished
// prediction must be reported as "starting" when the wait runs out (replicate-api §3.1).
function presentSync(p: PredictionRecord, origin: string) {
  const out = presentPrediction(p, origin);
  if (!TERMINAL.has(p.status)) out.status = "starting";
  return out;
}

/**
 * Reads the request, resolves the version from the body (`resolve`), creates the prediction and
 * answers 201: at once, or when it is done (or the wait runs out) under `Prefer: wait`.
 */
export async function createPredictionFromRequest(
  d: HttpDeps,
  request: Request,
  resolve: (body: Record<string, unknown>) => Version,
  deployment?: string,
): Promise<Response> {
  const body = await readJsonObject(request, d.maxJsonBytes);
  const version = resolve(body);
  const origin = originOf(request, d.config.publicUrl);
  const wait = parsePreferWait(request.headers.get("prefer"));
  const cancelAfterMs = parseCancelAfter(request.headers.get("cancel-after"));
  const pending = d.predictions.preflight(version, deployment);
  if (pending) await pending; // nothing to await on the fast path: keep it synchronous
  const rec = d.predictions.create({
    version,
    input: body.input ?? {},
    source: request.headers.get("x-modelhub-source") === "web" ? "web" : "api",
    webhook: webhookUrl(body.webhook ?? body.webhook_completed),
    webhookEventsFilter: eventsFilter(body.webhook_events_filter),
    deployment,
    origin,
    clientWaits: wait !== null,
    cancelAfterMs,
  });
  if (wait === null) return json(presentPrediction(rec, origin), 201);
  const done = await d.predictions.waitFor(rec.id, wait * 1000);
  return json(presentSync(done, origin), 201, { "preference-applied": `wait=${wait}` });
}
