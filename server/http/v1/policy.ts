// modelhub extension: per-model run policy (GET/PATCH /v1/models/{owner}/{name}/policy) and the retry
// of a version whose setup failed (POST /v1/models/{owner}/{name}/versions/{id}/retry).
import { Elysia } from "elysia";
import type { EffectivePolicy, ModelPolicy } from "../../catalog/policy.ts";
import { POLICY_KEYS, policyChange, WIRE_NAME } from "../../catalog/policy.ts";
import { ModelPolicyPatch } from "../../contract/wire-extensions.ts";
import { notFound } from "../../errors.ts";
import type { HttpDeps } from "../http-context.ts";
import { json } from "../respond.ts";
import { readBody } from "../transport/body.ts";
import type { SchedulingDeps } from "../scheduling-context.ts";

// -1 reads better as "never" on the wire; both forms are accepted on input.
// An effective node of "" is "any node": null on the wire, like an unset one.
const wireValue = (key: string, v: unknown) => (key === "idleTimeout" && v === -1 ? "never" : key === "node" && v === "" ? null : v);

function wire(p: ModelPolicy | Omit<EffectivePolicy, "sources">): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of POLICY_KEYS) out[WIRE_NAME[k]] = wireValue(k, p[k]);
  return out;
}

export function policyRoutes(d: HttpDeps, s: SchedulingDeps) {
  const present = (owner: string, name: string) => {
    const m = d.catalog.getModel(owner, name);
    const latest = d.catalog.latestVersion(m.id);
    let effective: Record<string, unknown> | null = null;
    if (latest) {
      const { sources, ...values } = s.policies.effective(latest);
      const src: Record<string, string> = {};
      for (const k of POLICY_KEYS) src[WIRE_NAME[k]] = sources[k];
      effective = { version: latest.id, ...wire(values), sources: src };
    }
    return { model: `${owner}/${name}`, policy: wire(s.policies.stored(m.id)), effective, setup_error: latest?.setupError ?? null };
  };

  return new Elysia({ name: "v1-policy" })
    .get("/v1/models/:owner/:name/policy", ({ params }) => json(present(params.owner, params.name)))
    .patch("/v1/models/:owner/:name/policy", async ({ request, params }) => {
      const m = d.catalog.getModel(params.owner, params.name);
      s.policies.update(params.owner, params.name, policyChange(await readBody(request, ModelPolicyPatch, d.maxJsonBytes), s.inventory));
      s.changes.model(m.id);
      return json(present(params.owner, params.name));
    })
    .post("/v1/models/:owner/:name/versions/:id/retry", ({ params }) => {
      const m = d.catalog.getModel(params.owner, params.name);
      const v = d.catalog.findVersion(params.id);
      if (!v || v.modelId !== m.id) throw notFound(`Version ${params.id} not found for model ${params.owner}/${params.name}`);
      d.catalog.clearSetupFailure(v.id);
      d.scheduler.retry(v.id);
      s.changes.warm();
      return json({ model: `${params.owner}/${params.name}`, version: v.id, setup_error: null, previous_error: v.setupError });
    });
}
