// What the scheduling routes (policy, deployments, hardware, instances) get beyond HttpDeps.
import type { Deployments } from "../catalog/deployments.ts";
import type { PolicyChanges } from "../catalog/policy-changes.ts";
import type { Policies } from "../catalog/policy.ts";
import type { GpuInventory } from "../runtime/gpus.ts";

export interface SchedulingDeps {
  policies: Policies;
  deployments: Deployments;
  inventory: GpuInventory;
  /** tells the scheduler about a policy, model or deployment change */
  changes: PolicyChanges;
}
