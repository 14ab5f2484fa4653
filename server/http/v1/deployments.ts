// /v1/deployments: create, get, list, update, delete, and POST /v1/deployments/{owner}/{name}/predictions.
// On this machine min_instances means keep warm, max_instances scale-out, hardware a GPU selection.
import { Elysia } from "elysia";
import type { Deployment } from "../../catalog/deployments.ts";
import { invalidInput, notFound } from "../../errors.ts";
import type { PredictionRecord } from "../../predictions/store.ts";
import { TERMINAL } from "../../predictions/store.ts";
import { applyDeployment } from "../apply-policy.ts";
import type { HttpDeps } from "../deps.ts";
import { MAX_JSON_BODY } from "../deps.ts";
import { presentPrediction } from "../present.ts";
import { json, noContent, originOf, readJsonObject } from "../respond.ts";
import type { SchedulingDeps } from "../scheduling-deps.ts";
import { parsePreferWait } from "./predictions.ts";

export function presentDeployment(d: Deployment) {
  return {
    owner: d.owner,
    name: d.name,
    current_release: {
      number: d.releaseNumber,
      model: d.model,
      version: d.versionId,
      created_at: d.releaseCreatedAt,
      // modelhub has no accounts: the deployment's owner stands in (Python requires a valid Account here).
      created_by: { type: "user", username: d.owner, name: d.owner },
      configuration: { hardware: d.hardware, min_instances: d.minInstances, max_instances: d.maxInstances },
    },
  };
}

// The same webhook checks as /v1/predictions (that module does not export them).
function webhookOf(body: Record<string, unknown>): string | null {
  const v = body.webhook ?? body.webhook_completed;
  if (v === undefined || v === null) return null;
  if (typeof v !== "string" || !/^https?:\/\//.test(v))
    throw invalidInput("webhook must be an http(s) URL", [{ field: "webhook", rule: "format", message: "must be an http(s) URL" }]);
  return v;
}

function eventsFilterOf(v: unknown): string[] | null {
  if (v === undefined || v === null) return null;
  const allowed = new Set(["start", "output", "logs", "completed"]);
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string" || !allowed.has(x)))
    throw invalidInput("webhook_events_filter must be a list of start, output, logs, completed", [
      { field: "webhook_events_filter", rule: "enum", message: "must contain only start, output, logs, completed" },
    ]);
  return v as string[];
}

export function deploymentRoutes(d: HttpDeps, s: SchedulingDeps) {
  const origin = (r: Request) => originOf(r, d.config.publicUrl);

  // Both official clients treat any status but "starting" as final in sync mode (replicate-api §3.1).
  const presentSync = (p: PredictionRecord, o: string) => {
    const out = presentPrediction(p, o);
    if (!TERMINAL.has(p.status)) out.status = "starting";
    return out;
  };

  return new Elysia({ name: "v1-deployments" })
    .get("/v1/deployments", () => json({ next: null, previous: null, results: s.deployments.list().map(presentDeployment) }))
    .post("/v1/deployments", async ({ request }) => {
      const b = await readJsonObject(request, MAX_JSON_BODY);
      const dep = s.deployments.create(typeof b.owner === "string" ? b.owner : undefined, b.name, b);
      applyDeployment(d, s, dep, false);
      return json(presentDeployment(dep), 201);
    })
    .get("/v1/deployments/:owner/:name", ({ params }) => json(presentDeployment(s.deployments.get(params.owner, params.name))))
    .patch("/v1/deployments/:owner/:name", async ({ request, params }) => {
      const dep = s.deployments.update(params.owner, params.name, await readJsonObject(request, MAX_JSON_BODY));
      applyDeployment(d, s, dep, false);
      return json(presentDeployment(dep));
    })
    .delete("/v1/deployments/:owner/:name", ({ params }) => {
      const dep = s.deployments.get(params.owner, params.name);
      s.deployments.delete(params.owner, params.name);
      applyDeployment(d, s, dep, true);
      return noContent();
    })
    .post("/v1/deployments/:owner/:name/predictions", async ({ request, params }) => {
      const dep = s.deployments.get(params.owner, params.name);
      const full = `${dep.owner}/${dep.name}`;
      const version = d.catalog.findVersion(dep.versionId);
      if (!version) throw notFound(`Deployment ${full} points at version ${dep.versionId}, which was deleted; PATCH it to another version`);
      const body = await readJsonObject(request, MAX_JSON_BODY);
      await d.predictions.preflight(version, full);
      const rec = d.predictions.create({
        version,
        input: body.input ?? {},
        source: request.headers.get("x-modelhub-source") === "web" ? "web" : "api",
        webhook: webhookOf(body),
        webhookEventsFilter: eventsFilterOf(body.webhook_events_filter),
        deployment: full,
      });
      const wait = parsePreferWait(request.headers.get("prefer"));
      if (wait === null) return json(presentPrediction(rec, origin(request)), 201);
      const done = await d.predictions.waitFor(rec.id, wait * 1000);
      return json(presentSync(done, origin(request)), 201, { "preference-applied": `wait=${wait}` });
    });
}
