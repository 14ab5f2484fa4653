// /v1/models: list (cursor pages), QUERY search, create, get, update, delete, readme; versions list,
// get, delete, and import (modelhub extension). Bodies are checked against server/contract/wire-model.ts.
import { Elysia } from "elysia";
import type { ModelCursor, ModelFields, ModelSort } from "../../catalog/catalog.ts";
import { importImage } from "../../catalog/import-image.ts";
import type { ModelPolicy } from "../../catalog/policy.ts";
import { ModelCreate, ModelSearch, ModelUpdate, VersionImport } from "../../contract/wire-model.ts";
import { badRequest, invalidInput, notFound } from "../../errors.ts";
import { parseHardware } from "../../runtime/hardware.ts";
import { check, readBody } from "../transport/body.ts";
import type { HttpDeps } from "../http-context.ts";
import { modelJson, modelJsons, modelsPageResponse, presentVersion } from "../present-catalog.ts";
import { decodeCursor, encodeCursor, json, noContent, originOf } from "../respond.ts";
import type { SchedulingDeps } from "../scheduling-context.ts";
import { callerOf } from "../access-guard.ts";
import { viewerOf } from "../../auth/caller.ts";
import { visibleModel } from "../visibility.ts";

/** Replicate's page size. */
export const PAGE = 100;

const SORTS: readonly ModelSort[] = ["model_created_at", "latest_version_created_at"];

/** Everything needed to continue a listing, so `next` is one opaque, followable URL (also for QUERY searches). */
interface ListCursor {
  k: string; // sort key of the last row
  i: number; // its id
  q?: string; // search text
  s?: ModelSort;
  d?: "asc" | "desc";
}

function listOptions(url: URL): { sort?: ModelSort; direction?: "asc" | "desc" } {
  const sort = url.searchParams.get("sort_by");
  const dir = url.searchParams.get("sort_direction");
  const errors = [];
  if (sort !== null && !SORTS.includes(sort as ModelSort))
    errors.push({ field: "sort_by", rule: "enum", message: `must be one of ${SORTS.join(", ")}` });
  if (dir !== null && dir !== "asc" && dir !== "desc") errors.push({ field: "sort_direction", rule: "enum", message: "must be asc or desc" });
  if (errors.length) throw invalidInput(`Invalid query: ${errors.map((e) => `${e.field} ${e.message}`).join("; ")}`, errors);
  return { sort: (sort as ModelSort | null) ?? undefined, direction: (dir as "asc" | "desc" | null) ?? undefined };
}

/**
 * The search text of a QUERY body. Python sends it raw; the JS client JSON-encodes it even as
 * text/plain (`"llama"` with the quotes), so a body that is one JSON string is unwrapped.
 */
/** What running predictions of a deleted model or version get to finish before their container stops. */
const DELETE_GRACE_MS = 30_000;

export function searchText(raw: string): string {
  const s = raw.trim();
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"'))
    try {
      const v: unknown = JSON.parse(s);
      if (typeof v === "string") return v.trim();
    } catch {
      // not JSON after all: search for it as typed
    }
  return s;
}

/** The `hardware` of a create or update as a policy change, checked against this machine's GPUs. */
function hardwarePolicy(sku: string, s: SchedulingDeps | undefined): Partial<ModelPolicy> | null {
  const sel = parseHardware(sku);
  const bad = (message: string) => invalidInput(`Invalid request body: hardware ${message}`, [{ field: "hardware", rule: "enum", message }]);
  if (!sel) throw bad(`"${sku}" is not a hardware SKU; GET /v1/hardware lists them (cpu, gpu-1x, gpu-0, …)`);
  if (!s) return null;
  const have = s.inventory.gpus.map((g) => g.index);
  const missing = (sel.pinned ?? []).filter((i) => !have.includes(i));
  if (missing.length) throw bad(`names GPU ${missing.join(", ")}, which this machine does not have (GET /v1/hardware lists what it has)`);
  if (sel.gpus > have.length) throw bad(`asks for ${sel.gpus} GPUs; this machine has ${have.length}`);
  return sel.pinned ? { gpus: null, pinnedGpus: sel.pinned } : { gpus: sel.gpus, pinnedGpus: null };
}

/** Keeps the model fields of a checked body, dropping `hardware` and anything unknown. */
function modelFields(b: Record<string, unknown>): ModelFields {
  const out: Record<string, unknown> = {};
  for (const k of ["description", "visibility", "predictions_visibility", "github_url", "paper_url", "license_url", "cover_image_url", "readme"] as const) if (k in b) out[k] = b[k];
  return out as ModelFields;
}

export function modelRoutes(d: HttpDeps, s?: SchedulingDeps) {
  const origin = (r: Request) => originOf(r, d.config.publicUrl);
  const get = (r: Request, owner: string, name: string) => modelJson(d, s, visibleModel(d, r, owner, name), origin(r));
  const versionOf = (r: Request, owner: string, name: string, id: string) => {
    const m = visibleModel(d, r, owner, name);
    // The digest `docker push` printed names the version too (for an index, the platform manifest is the id).
    const v = d.catalog.findVersion(id) ?? d.catalog.findVersion(d.pushedVersions?.byPushedDigest(id) ?? "");
    if (!v || v.modelId !== m.id) throw notFound(`Version ${id} not found for model ${owner}/${name}`);
    return v;
  };

  /** One page of models; the cursor, when given, carries the search and sort of the first request. */
  const page = (request: Request, search?: string) => {
    const url = new URL(request.url);
    const cur = decodeCursor<ListCursor>(url.searchParams.get("cursor"), ["k", "i"]);
    if (cur && ((cur.s !== undefined && !SORTS.includes(cur.s)) || (cur.d !== undefined && cur.d !== "asc" && cur.d !== "desc") || typeof cur.k !== "string"))
      throw badRequest("Invalid cursor: follow the `next` URL of a previous page as it is");
    const opts = cur ? { search: cur.q, sort: cur.s, direction: cur.d } : { search, ...listOptions(url) };
    const after: ModelCursor | undefined = cur && { key: String(cur.k), id: Number(cur.i) };
    const rows = d.catalog.listModels(PAGE + 1, { ...opts, after, viewer: viewerOf(callerOf(request)) });
    const last = rows.length > PAGE ? rows[PAGE - 1] : undefined;
    const next = last
      ? `${origin(request)}/v1/models?cursor=${encodeCursor({ k: last.sort_key, i: last.id, ...(opts.search ? { q: opts.search } : {}), ...(opts.sort ? { s: opts.sort } : {}), ...(opts.direction ? { d: opts.direction } : {}) })}`
      : null;
    return modelsPageResponse({ next, previous: null, results: modelJsons(d, s, rows.slice(0, PAGE), origin(request)) });
  };

  return (
    new Elysia({ name: "v1-models" })
      .get("/v1/models", ({ request }) => page(request))
      // QUERY with the search text as a text/plain body (both official clients' models.search).
      .route("QUERY", "/v1/models", async ({ request }) => {
        const q = check(ModelSearch, searchText(await request.text()), "search", "query");
        return page(request, q || undefined);
      })
      .post("/v1/models", async ({ request }) => {
        const b = await readBody(request, ModelCreate, d.maxJsonBytes);
        // Checked before the model exists, so a bad SKU leaves nothing behind.
        const policy = b.hardware !== undefined ? hardwarePolicy(b.hardware, s) : null;
        const m = d.catalog.createModel(b.owner, b.name, modelFields(b));
        if (policy && s) {
          s.policies.update(m.owner, m.name, policy);
          s.changes.model(m.id);
        }
        return json(modelJson(d, s, m, origin(request)), 201);
      })
      .get("/v1/models/:owner/:name", ({ request, params }) => json(get(request, params.owner, params.name)))
      .patch("/v1/models/:owner/:name", async ({ request, params }) => {
        const b = await readBody(request, ModelUpdate, d.maxJsonBytes);
        const m = d.catalog.getModel(params.owner, params.name);
        const policy = b.hardware !== undefined ? hardwarePolicy(b.hardware, s) : null;
        d.catalog.updateModel(m.owner, m.name, modelFields(b));
        if (policy && s) {
          s.policies.update(m.owner, m.name, policy);
          s.changes.model(m.id);
        }
        return json(get(request, m.owner, m.name));
      })
      .delete("/v1/models/:owner/:name", ({ params }) => {
        d.catalog.deleteModel(params.owner, params.name);
        const full = `${params.owner}/${params.name}`;
        // Its containers go too, in the background: running work gets the usual grace to finish.
        void d.scheduler.stopWhere((x) => x.model === full, DELETE_GRACE_MS, `model ${full} was deleted`);
        // Its policy and deployments went with it (foreign keys): stop keeping their containers warm.
        if (s) s.changes.warm();
        return noContent();
      })
      .get("/v1/models/:owner/:name/readme", ({ request, params }) => {
        const m = visibleModel(d, request, params.owner, params.name);
        return new Response(m.readme ?? "", { headers: { "content-type": "text/markdown; charset=utf-8" } });
      })
      .get("/v1/models/:owner/:name/versions", ({ request, params }) => {
        const m = visibleModel(d, request, params.owner, params.name);
        const after = decodeCursor<{ c: string; r: number }>(new URL(request.url).searchParams.get("cursor"), ["c", "r"]);
        const rows = d.catalog.listVersionsPage(m.id, PAGE + 1, after && { createdAt: String(after.c), rowid: Number(after.r) });
        const last = rows.length > PAGE ? rows[PAGE - 1] : undefined;
        const next = last ? `${origin(request)}/v1/models/${m.owner}/${m.name}/versions?cursor=${encodeCursor({ c: last.createdAt, r: last.rowid })}` : null;
        return json({ next, previous: null, results: rows.slice(0, PAGE).map((v) => presentVersion(v, d.pushedVersions)) });
      })
      // modelhub extension: import a local Cog image as a new version of this model.
      .post("/v1/models/:owner/:name/versions", async ({ request, params }) => {
        const b = await readBody(request, VersionImport, d.maxJsonBytes);
        const { version, created } = await importImage(d.runtime, d.catalog, b.image, `${params.owner}/${params.name}`);
        return json(presentVersion(version), created ? 201 : 200);
      })
      .get("/v1/models/:owner/:name/versions/:id", ({ request, params }) => {
        const v = versionOf(request, params.owner, params.name, params.id);
        // A running container's own word on its server beats the label's.
        const running = d.scheduler.list().find((i) => i.versionId === v.id && i.cogServer)?.cogServer;
        return json(presentVersion(v, d.pushedVersions, running));
      })
      .delete("/v1/models/:owner/:name/versions/:id", ({ request, params }) => {
        const v = versionOf(request, params.owner, params.name, params.id);
        d.catalog.deleteVersion(v.id);
        void d.scheduler.stopWhere((x) => x.versionId === v.id, DELETE_GRACE_MS, `version ${v.id.slice(0, 12)} of ${v.model} was deleted`);
        // A keep-warm pool follows the latest version, which may just have changed.
        if (s) s.changes.warm();
        return noContent();
      })
  );
}
