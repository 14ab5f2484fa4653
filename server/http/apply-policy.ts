// After a policy or deployment change: tell the scheduler, so keep-warm, idle timeouts and stale
// instances follow the new settings without a restart.
import type { Deployment } from "../catalog/deployments.ts";
import type { RunSpec } from "../scheduler/scheduler.ts";
import type { HttpDeps } from "./http-context.ts";
import type { SchedulingDeps } from "./scheduling-context.ts";

/** A release replaced or a deployment deleted: its instances finish their work, then stop. */
const RETIRE_GRACE_MS = 10 * 60_000;

/** Specs as the prediction service would build them (it adds the container command, e.g. --upload-url). */
const finish = (d: HttpDeps, spec: RunSpec) => d.predictions.withContainerCmd(spec);

export function applyWarm(d: HttpDeps, s: SchedulingDeps): void {
  d.scheduler.setWarm(s.policies.warmSpecs().map((spec) => finish(d, spec)));
}

export function applyModelPolicy(d: HttpDeps, s: SchedulingDeps, modelId: number): void {
  for (const v of d.catalog.listVersions(modelId)) d.scheduler.applySpec(finish(d, s.policies.runSpec(v)));
  applyWarm(d, s);
}

export function applyDeployment(d: HttpDeps, s: SchedulingDeps, dep: Deployment, removed: boolean): void {
  s.policies.changed();
  const key = `deployment:${dep.owner}/${dep.name}`;
  if (removed) d.scheduler.retire(key, `deployment ${dep.owner}/${dep.name} was deleted`, RETIRE_GRACE_MS);
  else {
    const v = d.catalog.findVersion(dep.versionId);
    if (v) d.scheduler.applySpec(finish(d, s.policies.runSpec(v, `${dep.owner}/${dep.name}`)), RETIRE_GRACE_MS);
  }
  applyWarm(d, s);
}
