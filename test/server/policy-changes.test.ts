// PolicyChanges: what the scheduler is told after a policy, model or deployment change, with every
// spec complete as Policies builds it (the container command included).
import { describe, expect, it } from "bun:test";
import { Catalog } from "../../server/catalog/catalog.ts";
import { Deployments } from "../../server/catalog/deployments.ts";
import { Policies } from "../../server/catalog/policy.ts";
import { PolicyChanges, type PoolControl } from "../../server/catalog/policy-changes.ts";
import { openDatabase } from "../../server/db/database.ts";
import type { RunSpec } from "../../server/scheduler/run-spec.ts";
import { gpus } from "./scheduler-fakes.ts";

const DEFAULTS = { idleTimeoutS: 300, setupTimeoutS: 300, maxQueue: 100, maxInstances: 1, memoryBytes: 0, cpus: 0, pids: 0 };

function setup() {
  const db = openDatabase(":memory:");
  const catalog = new Catalog(db);
  const inv = gpus(1);
  const deployments = new Deployments(db, catalog, inv);
  const policies = new Policies(db, catalog, deployments, DEFAULTS, inv, () => ["serve"]);
  const a = catalog.addVersion("acme/m", { id: "a".repeat(64), image: "acme/m:1", cogVersion: "0.13.6", openapiSchema: {}, config: {} }).version;
  const b = catalog.addVersion("acme/m", { id: "b".repeat(64), image: "acme/m:2", cogVersion: "0.13.6", openapiSchema: {}, config: {} }).version;
  const calls: string[] = [];
  const specs: RunSpec[] = [];
  const pools: PoolControl = {
    applySpec: (spec, grace) => (specs.push(spec), calls.push(`apply ${spec.key} ${grace ?? "-"}`)),
    retire: (key, reason, grace) => calls.push(`retire ${key} ${grace}: ${reason}`),
    setWarm: (list) => calls.push(`warm ${list.map((s) => `${s.key}${s.cmd ? "+cmd" : ""}`).join(",")}`),
  };
  const changes = new PolicyChanges(catalog, policies, pools);
  return { catalog, deployments, policies, changes, calls, specs, a, b };
}

describe("policy changes", () => {
  it("a model's new policy reaches every version's pool, completed, then the keep-warm set", () => {
    const { policies, changes, calls, specs, a, b } = setup();
    policies.update("acme", "m", { minInstances: 1 });
    changes.model(a.modelId);
    expect(calls.slice(0, 2).sort()).toEqual([`apply ${a.id} -`, `apply ${b.id} -`].sort());
    expect(specs.every((s) => s.cmd?.[0] === "serve" && s.minInstances === 1)).toBe(true);
    // The warm set follows the latest version only.
    expect(calls[2]).toBe(`warm ${b.id}+cmd`);
  });

  it("a deployment's release replaces its pool's spec with a grace; a deleted one is retired", () => {
    const { deployments, changes, calls, specs, a } = setup();
    const dep = deployments.create({ name: "prod", model: "acme/m", version: a.id, min_instances: 1 });
    changes.deployment(dep, false);
    expect(calls[0]).toBe("apply deployment:acme/prod 600000");
    expect(specs[0]).toMatchObject({ versionId: a.id, deployment: "acme/prod", cmd: ["serve"] });
    expect(calls[1]).toBe("warm deployment:acme/prod+cmd");
    deployments.delete("acme", "prod");
    changes.deployment(dep, true);
    expect(calls.slice(2)).toEqual(["retire deployment:acme/prod 600000: deployment acme/prod was deleted", "warm "]);
  });
});
