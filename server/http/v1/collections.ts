// GET /v1/collections and /v1/collections/{slug}: modelhub has no curated collections, so it offers
// the ones it can keep true by itself: "all" (every model here) and one per owner ("by-<owner>").
import { Elysia } from "elysia";
import { notFound } from "../../errors.ts";
import type { HttpDeps } from "../http-context.ts";
import { type CollectionDetailJson, type CollectionJson, modelJsons } from "../present-catalog.ts";
import { decodeCursor, encodeCursor, json, originOf } from "../respond.ts";
import type { SchedulingDeps } from "../scheduling-context.ts";
import { PAGE } from "./models.ts";
import { callerOf } from "../access-guard.ts";
import { viewerOf } from "../../auth/caller.ts";

const ALL = "all";
const OWNER_PREFIX = "by-";

const plural = (n: number) => `${n} model${n === 1 ? "" : "s"}`;

function allCollection(count: number): CollectionJson {
  return { name: "All models", slug: ALL, description: `Every model on this modelhub server (${plural(count)}), newest first.` };
}

function ownerCollection(owner: string, count: number): CollectionJson {
  return { name: `Models by ${owner}`, slug: `${OWNER_PREFIX}${owner}`, description: `The ${plural(count)} owned by ${owner} on this server, newest first.` };
}

export function collectionRoutes(d: HttpDeps, s?: SchedulingDeps) {
  const origin = (r: Request) => originOf(r, d.config.publicUrl);

  return new Elysia({ name: "v1-collections" })
    .get("/v1/collections", ({ request }) => {
      // The cursor is the last owner listed; "all" opens the first page.
      const viewer = viewerOf(callerOf(request));
      const after = decodeCursor<{ o: string }>(new URL(request.url).searchParams.get("cursor"), ["o"]);
      const results: CollectionJson[] = after ? [] : [allCollection(d.catalog.countModels(undefined, viewer))];
      const owners = d.catalog.listOwners(PAGE + 1 - results.length, after ? String(after.o) : undefined, viewer);
      const room = PAGE - results.length;
      for (const o of owners.slice(0, room)) results.push(ownerCollection(o.owner, o.models));
      const next = owners.length > room ? `${origin(request)}/v1/collections?cursor=${encodeCursor({ o: owners[room - 1].owner })}` : null;
      return json({ next, previous: null, results });
    })
    .get("/v1/collections/:slug", ({ request, params }) => {
      const owner = params.slug === ALL ? undefined : params.slug.startsWith(OWNER_PREFIX) ? params.slug.slice(OWNER_PREFIX.length) : null;
      const viewer = viewerOf(callerOf(request));
      const count = owner === null ? 0 : d.catalog.countModels(owner, viewer);
      if (owner === null || (owner !== undefined && count === 0))
        throw notFound(`Collection ${params.slug} not found; GET /v1/collections lists them ("all" and "by-<owner>")`);
      const head = owner === undefined ? allCollection(count) : ownerCollection(owner, count);
      const models = modelJsons(d, s, d.catalog.listModels(Number.MAX_SAFE_INTEGER, { owner, viewer }), origin(request));
      const body: CollectionDetailJson = { ...head, full_description: null, models };
      return json(body);
    });
}
