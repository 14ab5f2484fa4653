// /v1/models: list, get, create, delete models; list, get, import (modelhub extension) and delete versions.
import { Elysia } from "elysia";
import { importImage } from "../../catalog/import-image.ts";
import { invalidInput, notFound } from "../../errors.ts";
import type { HttpDeps } from "../deps.ts";
import { MAX_JSON_BODY } from "../deps.ts";
import { presentModel, presentVersion } from "../present.ts";
import { decodeCursor, encodeCursor, json, noContent, originOf, readJsonObject } from "../respond.ts";

const PAGE = 100;

export function modelRoutes(d: HttpDeps) {
  const origin = (r: Request) => originOf(r, d.config.publicUrl);
  const modelJson = (r: Request, owner: string, name: string) => {
    const m = d.catalog.getModel(owner, name);
    return presentModel(m, d.catalog.latestVersion(m.id), d.predictionStore.countByModel(`${owner}/${name}`), origin(r));
  };
  const page = (request: Request, search?: string) => {
    const url = new URL(request.url);
    const after = decodeCursor<{ c: string; i: number }>(url.searchParams.get("cursor"));
    const rows = d.catalog.listModels(PAGE + 1, after && { createdAt: after.c, id: after.i }, search);
    const more = rows.length > PAGE;
    const results = rows.slice(0, PAGE).map((m) => presentModel(m, d.catalog.latestVersion(m.id), d.predictionStore.countByModel(`${m.owner}/${m.name}`), origin(request)));
    const last = rows[PAGE - 1];
    const next = more && last ? `${origin(request)}/v1/models?cursor=${encodeCursor({ c: last.created_at, i: last.id })}` : null;
    return json({ next, previous: null, results });
  };

  return new Elysia({ name: "v1-models" })
    .get("/v1/models", ({ request }) => page(request))
    .route("QUERY", "/v1/models", async ({ request }) => page(request, (await request.text()).trim()))
    .post("/v1/models", async ({ request }) => {
      const b = await readJsonObject(request, MAX_JSON_BODY);
      if (typeof b.owner !== "string" || typeof b.name !== "string")
        throw invalidInput("owner and name are required strings", [
          { field: typeof b.owner !== "string" ? "owner" : "name", rule: "required", message: "is required" },
        ]);
      const visibility = b.visibility === "private" ? "private" : "public";
      d.catalog.createModel(b.owner, b.name, { description: typeof b.description === "string" ? b.description : null, visibility });
      return json(modelJson(request, b.owner, b.name), 201);
    })
    .get("/v1/models/:owner/:name", ({ request, params }) => json(modelJson(request, params.owner, params.name)))
    .patch("/v1/models/:owner/:name", async ({ request, params }) => {
      const b = await readJsonObject(request, MAX_JSON_BODY);
      d.catalog.updateModel(params.owner, params.name, {
        description: typeof b.description === "string" ? b.description : undefined,
        visibility: b.visibility === "private" || b.visibility === "public" ? b.visibility : undefined,
      });
      return json(modelJson(request, params.owner, params.name));
    })
    .delete("/v1/models/:owner/:name", ({ params }) => {
      d.catalog.deleteModel(params.owner, params.name);
      return noContent();
    })
    .get("/v1/models/:owner/:name/versions", ({ params }) => {
      const m = d.catalog.getModel(params.owner, params.name);
      return json({ next: null, previous: null, results: d.catalog.listVersions(m.id).map(presentVersion) });
    })
    // modelhub extension: import a local Cog image as a new version of this model.
    .post("/v1/models/:owner/:name/versions", async ({ request, params }) => {
      const b = await readJsonObject(request, MAX_JSON_BODY);
      if (typeof b.image !== "string")
        throw invalidInput("image is required: a local Docker image reference such as acme/hello:latest", [
          { field: "image", rule: "required", message: "is required" },
        ]);
      const { version, created } = await importImage(d.runtime, d.catalog, b.image, `${params.owner}/${params.name}`);
      return json(presentVersion(version), created ? 201 : 200);
    })
    .get("/v1/models/:owner/:name/versions/:id", ({ params }) => {
      const m = d.catalog.getModel(params.owner, params.name);
      const v = d.catalog.getVersion(params.id);
      if (v.modelId !== m.id) throw notFound(`Version ${params.id} not found for model ${params.owner}/${params.name}`);
      return json(presentVersion(v));
    })
    .delete("/v1/models/:owner/:name/versions/:id", ({ params }) => {
      const m = d.catalog.getModel(params.owner, params.name);
      const v = d.catalog.getVersion(params.id);
      if (v.modelId !== m.id) throw notFound(`Version ${params.id} not found for model ${params.owner}/${params.name}`);
      d.catalog.deleteVersion(v.id);
      return noContent();
    });
}
