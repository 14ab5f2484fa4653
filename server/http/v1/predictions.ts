// /v1/predictions: create (by version, by model; Prefer: wait, Cancel-After), get, list, cancel, delete (modelhub extension).
import { Elysia } from "elysia";
import { createPredictionFromRequest } from "./create-prediction.ts";
import type { HttpDeps } from "../http-context.ts";
import { presentPrediction } from "../present.ts";
import { queueJson } from "./queue-info.ts";
import { decodeCursor, encodeCursor, json, noContent, originOf } from "../respond.ts";
import { callerOf } from "../access-guard.ts";
import { creatorFilterOf, owns } from "../../auth/caller.ts";
import { modelVisible, visibleModel, visiblePrediction, visibleVersion } from "../visibility.ts";

const PAGE = 100;

export function predictionRoutes(d: HttpDeps) {
  const origin = (r: Request) => originOf(r, d.config.publicUrl);

  return new Elysia({ name: "v1-predictions" })
    .post("/v1/predictions", ({ request }) =>
      createPredictionFromRequest(d, request, "body"),
    )
    .post("/v1/models/:owner/:name/predictions", ({ request, params }) =>
      createPredictionFromRequest(d, request, () => {
        visibleModel(d, request, params.owner, params.name);
        return d.predictions.resolveVersion(`${params.owner}/${params.name}`);
      }),
    )
    .get("/v1/predictions", ({ request }) => {
      const url = new URL(request.url);
      // A cursor is a page edge (created_at, id); `b` marks one that pages back to newer rows.
      const cur = decodeCursor<{ c: string; i: string; b?: 1 }>(url.searchParams.get("cursor"), ["c", "i"]);
      const rows = d.predictionStore.list(PAGE + 1, cur && { createdAt: cur.c, id: cur.i, before: cur.b === 1 }, creatorFilterOf(callerOf(request)));
      const more = rows.length > PAGE; // the extra row is the newest when paging back, else the oldest
      const page = cur?.b && more ? rows.slice(1) : rows.slice(0, PAGE);
      const hasOlder = cur?.b ? true : more;
      const hasNewer = cur?.b ? more : cur !== undefined;
      const link = (edge: { createdAt: string; id: string }, back: boolean) =>
        `${origin(request)}/v1/predictions?cursor=${encodeCursor(back ? { c: edge.createdAt, i: edge.id, b: 1 } : { c: edge.createdAt, i: edge.id })}`;
      const first = page[0];
      const last = page[page.length - 1];
      return json({
        next: hasOlder && last ? link(last, false) : null,
        previous: hasNewer && first ? link(first, true) : null,
        // A user's own predictions of a model that has since become private to them stay hidden.
        results: page.filter((p) => modelVisible(d, request, p.model)).map((p) => presentPrediction(p, origin(request))),
      });
    })
    .get("/v1/predictions/:id", ({ request, params }) => {
      const p = visiblePrediction(d, request, d.predictions.get(params.id));
      const out = presentPrediction(p, origin(request));
      // Another token reading a public prediction does not learn where its creator's webhook goes.
      if (!owns(callerOf(request), p)) out.webhook = null;
      // A waiting prediction says where it is in line and when it should start (modelhub extension).
      if (p.status === "starting") {
        const queue = queueJson(d.scheduler, p.id);
        if (queue) out.queue = queue;
      }
      return json(out);
    })
    // modelhub extension: the one who made it (or an admin) deletes it with its output files.
    .delete("/v1/predictions/:id", ({ request, params }) => {
      d.predictions.delete(visiblePrediction(d, request, d.predictions.get(params.id), "act").id);
      return noContent();
    })
    .post("/v1/predictions/:id/cancel", async ({ request, params }) => {
      visiblePrediction(d, request, d.predictions.get(params.id), "act");
      return json(presentPrediction(await d.predictions.cancel(params.id), origin(request)));
    });
}
