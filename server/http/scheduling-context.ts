// What the scheduling routes (policy, deployments, hardware, instances) get beyond HttpDeps.
import type { Deployments } from "../catalog/deployments.ts";
import type { Policies } from "../catalog/policy.ts";
import type { GpuInventory } from "../runtime/gpus.ts";

export interface SchedulingDeps {
  policies: Policies;
  deployments: Deployments;
  inventory: GpuInventory;
}
