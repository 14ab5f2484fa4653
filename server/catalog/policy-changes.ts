// After a policy, model or deployment change: tell the scheduler, so keep-warm sets, idle timeouts
// and stale instances follow the new settings without a restart. The routes call this service
// instead of gluing policies, the catalog and the scheduler together themselves. The specs come
// complete from Policies (container command included).
import type { RunSpec } from "../scheduler/run-spec.ts";
import type { Catalog } from "./catalog.ts";
import type { Deployment } from "./deployments.ts";
import type { Policies } from "./policy.ts";

/** A release replaced or a deployment deleted: its instances finish their work, then stop. */
const RETIRE_GRACE_MS = 10 * 60_000;

/** What applying a change asks of the scheduler (the Scheduler class is one). */
export interface PoolControl {
  applySpec(spec: RunSpec, retireGraceMs?: number): void;
  retire(key: string, reason: string, graceMs: number): void;
  setWarm(specs: readonly RunSpec[]): void;
}

export class PolicyChanges {
  constructor(
    private catalog: Catalog,
    private policies: Policies,
    private pools: PoolControl,
  ) {}

  /** The keep-warm set again: after anything that may change which versions are kept warm. */
  warm(): void {
    this.pools.setWarm(this.policies.warmSpecs());
  }

  /** A model's policy (or hardware) changed: every version's pool takes the new spec. */
  model(modelId: number): void {
    for (const v of this.catalog.listVersions(modelId)) this.pools.applySpec(this.policies.runSpec(v));
    this.warm();
  }

  /** A deployment was created, released anew or (`removed`) deleted. */
  deployment(dep: Deployment, removed: boolean): void {
    this.policies.changed();
    const name = `${dep.owner}/${dep.name}`;
    if (removed) this.pools.retire(`deployment:${name}`, `deployment ${name} was deleted`, RETIRE_GRACE_MS);
    else {
      const v = this.catalog.findVersion(dep.versionId);
      if (v) this.pools.applySpec(this.policies.runSpec(v, name), RETIRE_GRACE_MS);
    }
    this.warm();
  }
}
