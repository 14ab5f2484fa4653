// /v1/deployments: create, get, list, update, delete, and POST /v1/deployments/{owner}/{name}/predictions.
// On this machine min_instances means keep warm, max_instances scale-out, hardware a GPU selection.
import { Elysia } from "elysia";
import type { Deployment } from "../../catalog/deployments.ts";
import { DeploymentCreate, DeploymentUpdate } from "../../contract/wire-deployment.ts";
import { notFound } from "../../errors.ts";
import { createPredictionFromRequest } from "./create-prediction.ts";
import type { HttpDeps } from "../http-context.ts";
import { json, noContent } from "../respond.ts";
import { readBody } from "../transport/body.ts";
import type { SchedulingDeps } from "../scheduling-context.ts";

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

export function deploymentRoutes(d: HttpDeps, s: SchedulingDeps) {

  return new Elysia({ name: "v1-deployments" })
    .get("/v1/deployments", () => json({ next: null, previous: null, results: s.deployments.list().map(presentDeployment) }))
    .post("/v1/deployments", async ({ request }) => {
      const dep = s.deployments.create(await readBody(request, DeploymentCreate, d.maxJsonBytes));
      s.changes.deployment(dep, false);
      return json(presentDeployment(dep), 201);
    })
    .get("/v1/deployments/:owner/:name", ({ params }) => json(presentDeployment(s.deployments.get(params.owner, params.name))))
    .patch("/v1/deployments/:owner/:name", async ({ request, params }) => {
      const dep = s.deployments.update(params.owner, params.name, await readBody(request, DeploymentUpdate, d.maxJsonBytes));
      s.changes.deployment(dep, false);
      return json(presentDeployment(dep));
    })
    .delete("/v1/deployments/:owner/:name", ({ params }) => {
      const dep = s.deployments.get(params.owner, params.name);
      s.deployments.delete(params.owner, params.name);
      s.changes.deployment(dep, true);
      return noContent();
    })
    .post("/v1/deployments/:owner/:name/predictions", async ({ request, params }) => {
      const dep = s.deployments.get(params.owner, params.name);
      const full = `${dep.owner}/${dep.name}`;
      const version = d.catalog.findVersion(dep.versionId);
      if (!version) throw notFound(`Deployment ${full} points at version ${dep.versionId}, which was deleted; PATCH it to another version`);
      return createPredictionFromRequest(d, request, () => version, full);
    });
}
