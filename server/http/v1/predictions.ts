// /v1/predictions: create (by version, by model; Prefer: wait, Cancel-After), get, list, cancel.
import { Elysia } from "elysia";
import type { Version } from "../../catalog/catalog.ts";
import { invalidInput } from "../../errors.ts";
import { parseCancelAfter } from "../../predictions/cancel-after.ts";
import type { PredictionRecord } from "../../predictions/store.ts";
import { TERMINAL } from "../../predictions/store.ts";
import type { HttpDeps } from "../deps.ts";
import { MAX_JSON_BODY } from "../deps.ts";
import { presentPrediction } from "../present.ts";
import { decodeCursor, encodeCursor, json, originOf, readJsonObject } from "../respond.ts";

const PAGE = 100;

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

export function predictionRoutes(d: HttpDeps) {
  const origin = (r: Request) => originOf(r, d.config.publicUrl);

  async function create(request: Request, resolve: (body: Record<string, unknown>) => Version, deployment?: string) {
    const body = await readJsonObject(request, MAX_JSON_BODY);
    const version = resolve(body);
    const wait = parsePreferWait(request.headers.get("prefer"));
    const cancelAfterMs = parseCancelAfter(request.headers.get("cancel-after"));
    const pending = d.predictions.preflight(version);
    if (pending) await pending;
    const rec = d.predictions.create({
      version,
      input: body.input ?? {},
      source: request.headers.get("x-modelhub-source") === "web" ? "web" : "api",
      webhook: webhookUrl(body.webhook ?? body.webhook_completed),
      webhookEventsFilter: eventsFilter(body.webhook_events_filter),
      deployment,
      origin: origin(request),
      clientWaits: wait !== null,
      cancelAfterMs,
    });
    if (wait === null) return json(presentPrediction(rec, origin(request)), 201);
    const done = await d.predictions.waitFor(rec.id, wait * 1000);
    return json(presentSync(done, origin(request)), 201, { "preference-applied": `wait=${wait}` });
  }

  // Both official clients treat any status but "starting" as final in sync mode, so an unfinished
  // prediction must be reported as "starting" when the wait runs out.
  function presentSync(p: PredictionRecord, o: string) {
    const out = presentPrediction(p, o);
    if (!TERMINAL.has(p.status)) out.status = "starting";
    return out;
  }

  return new Elysia({ name: "v1-predictions" })
    .post("/v1/predictions", ({ request }) =>
      create(request, (b) => {
        if (typeof b.version !== "string" || !b.version)
          throw invalidInput("version is required: a version id, owner/name or owner/name:id", [
            { field: "version", rule: "required", message: "is required" },
          ]);
        return d.predictions.resolveVersion(b.version);
      }),
    )
    .post("/v1/models/:owner/:name/predictions", ({ request, params }) =>
      create(request, () => d.predictions.resolveVersion(`${params.owner}/${params.name}`)),
    )
    .get("/v1/predictions", ({ request }) => {
      const url = new URL(request.url);
      const after = decodeCursor<{ c: string; i: string }>(url.searchParams.get("cursor"));
      const rows = d.predictionStore.list(PAGE + 1, after && { createdAt: after.c, id: after.i });
      const more = rows.length > PAGE;
      const last = rows[PAGE - 1];
      const next = more && last ? `${origin(request)}/v1/predictions?cursor=${encodeCursor({ c: last.createdAt, i: last.id })}` : null;
      return json({ next, previous: null, results: rows.slice(0, PAGE).map((p) => presentPrediction(p, origin(request))) });
    })
    .get("/v1/predictions/:id", ({ request, params }) => json(presentPrediction(d.predictions.get(params.id), origin(request))))
    .post("/v1/predictions/:id/cancel", async ({ request, params }) =>
      json(presentPrediction(await d.predictions.cancel(params.id), origin(request))),
    );
}
