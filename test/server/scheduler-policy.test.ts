// Per-model policy (defaults from the image and config, validation, SQL), deployments, hardware SKUs,
// and the pure queue estimate and crash backoff the scheduler uses.
import { describe, expect, it } from "bun:test";
import { Catalog } from "../../server/catalog/catalog.ts";
import { Deployments } from "../../server/catalog/deployments.ts";
import { EMPTY_POLICY, effectivePolicy, Policies, policyChange, type ModelPolicy } from "../../server/catalog/policy.ts";
import { ModelPolicyPatch } from "../../server/contract/wire-extensions.ts";
import { check, fieldErrors } from "../../server/http/transport/body.ts";
import type { Version } from "../../server/catalog/catalog.ts";
import { openDatabase } from "../../server/db/database.ts";
import { AppError } from "../../server/errors.ts";
import { hardwareList, parseHardware } from "../../server/runtime/hardware.ts";
import { backoffMs } from "../../server/scheduler/backoff.ts";
import { estimateStart, retryAfterSeconds } from "../../server/scheduler/estimate.ts";
import { gpus } from "./scheduler-fakes.ts";

const DEFAULTS = { idleTimeoutS: 300, setupTimeoutS: 300, maxQueue: 100, maxInstances: 1, memoryBytes: 0, cpus: 0, pids: 4096 };
const NONE = EMPTY_POLICY;

function version(config: Version["config"]): Version {
  return { id: "a".repeat(64), modelId: 1, model: "acme/m", image: "acme/m", cogVersion: "0.13.6", openapiSchema: {}, config, createdAt: "", setupError: null, setupLogs: null };
}

function fieldsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return (err.extra.fields ?? []).map((f) => f.field);
    throw err;
  }
  return [];
}

describe("effective policy", () => {
  it("takes GPUs from build.gpu and slots from concurrency.max, the rest from config", () => {
    const p = effectivePolicy(version({ build: { gpu: true }, concurrency: { max: 4 } }), NONE, DEFAULTS);
    expect(p).toMatchObject({ gpus: 1, pinnedGpus: [], concurrency: 4, idleTimeout: 300, minInstances: 0, maxInstances: 1, maxQueue: 100, setupTimeout: 300 });
    expect(p.sources).toMatchObject({ gpus: "image", concurrency: "image", idleTimeout: "config" });
    const cpu = effectivePolicy(version({ build: { gpu: false } }), NONE, DEFAULTS);
    expect(cpu).toMatchObject({ gpus: 0, concurrency: 1 });
  });

  it("lets the stored policy win, and pinning implies the GPU count", () => {
    const p = effectivePolicy(version({ build: { gpu: false } }), { ...NONE, pinnedGpus: [0, 2], idleTimeout: -1, concurrency: 2 }, DEFAULTS);
    expect(p).toMatchObject({ gpus: 2, pinnedGpus: [0, 2], idleTimeout: -1, concurrency: 2 });
    expect(p.sources.gpus).toBe("policy");
  });

  it("lets a deployment's hardware and instance counts win over the model's policy", () => {
    const dep = { id: 1, owner: "acme", name: "prod", modelId: 1, model: "acme/m", versionId: "v", hardware: "gpu-1", minInstances: 1, maxInstances: 3, releaseNumber: 1, createdAt: "", releaseCreatedAt: "" };
    const p = effectivePolicy(version({ build: { gpu: false } }), { ...NONE, gpus: 0, maxInstances: 1 }, DEFAULTS, dep);
    expect(p).toMatchObject({ gpus: 1, pinnedGpus: [1], minInstances: 1, maxInstances: 3 });
    expect(p.sources.maxInstances).toBe("deployment");
  });
});

describe("policy changes", () => {
  // The PATCH route checks the body with ModelPolicyPatch (its wire schema), then policyChange maps it.
  const patch = (body: Record<string, unknown>, inv = gpus(2)) => policyChange(check(ModelPolicyPatch, body), inv);

  it("accepts any subset, null to reset, and \"never\" (or -1) for idle_timeout", () => {
    expect(patch({ gpus: 1, idle_timeout: "never", concurrency: null })).toEqual({ gpus: 1, idleTimeout: -1, concurrency: null });
    expect(patch({ idle_timeout: -1, setup_timeout: 2.5 })).toEqual({ idleTimeout: -1, setupTimeout: 2.5 });
    expect(patch({ pinned_gpus: [1, 0] })).toEqual({ pinnedGpus: [0, 1] });
    expect(patch({ pinned_gpus: [] })).toEqual({ pinnedGpus: null });
  });

  it("names every bad field at once, with the rule it broke", () => {
    const errors = fieldErrors(ModelPolicyPatch, { gpus: -1, idle_timeout: "soon", max_queue: 0, max_instances: 0, concurrency: 1.5, pinned_gpus: [0, 0], colour: "red" });
    expect(Object.fromEntries(errors.map((e) => [e.field, e.rule]))).toEqual({
      colour: "unknown",
      gpus: "minimum",
      idle_timeout: "anyOf",
      max_queue: "minimum",
      max_instances: "minimum",
      concurrency: "type",
      pinned_gpus: "uniqueItems",
    });
    const byField = Object.fromEntries(errors.map((e) => [e.field, e.message]));
    expect(byField.gpus).toBe("must be a whole number from 0 to 64 or null");
    expect(byField.idle_timeout).toBe('must be a number ≥ 0, "never", -1 or null');
    expect(byField.colour).toStartWith("is not a known field (use gpus, pinned_gpus, idle_timeout");
  });

  it("rejects pinning to a GPU this machine does not have", () => {
    expect(fieldsOf(() => patch({ pinned_gpus: [3] }))).toEqual(["pinned_gpus"]);
  });

  it("stores a policy, checks it across fields, and builds the RunSpec and the keep-warm set from it", () => {
    const db = openDatabase(":memory:");
    const catalog = new Catalog(db);
    const inv = gpus(2);
    const policies = new Policies(db, catalog, new Deployments(db, catalog, inv), DEFAULTS, inv);
    const { version: v } = catalog.addVersion("acme/m", { id: "b".repeat(64), image: "acme/m", cogVersion: "0.13.6", openapiSchema: {}, config: { build: { gpu: true } } });
    expect(fieldsOf(() => policies.update("acme", "m", { minInstances: 3 }))).toEqual(["min_instances"]);
    expect(fieldsOf(() => policies.update("acme", "m", { gpus: 2, pinnedGpus: [1] }))).toEqual(["gpus"]);
    policies.update("acme", "m", { idleTimeout: 2, minInstances: 1, maxInstances: 2 });
    policies.update("acme", "m", { maxQueue: 5 });
    expect(policies.stored(v.modelId)).toMatchObject({ idleTimeout: 2, minInstances: 1, maxInstances: 2, maxQueue: 5 });
    expect(policies.runSpec(v)).toMatchObject({ key: v.id, gpuCount: 1, idleTimeoutMs: 2000, minInstances: 1, maxInstances: 2, maxQueue: 5 });
    expect(policies.warmSpecs().map((s) => s.versionId)).toEqual([v.id]);
  });

  it("takes container limits from the policy, else from the settings, into the RunSpec", () => {
    const db = openDatabase(":memory:");
    const catalog = new Catalog(db);
    const inv = gpus(0);
    const policies = new Policies(db, catalog, new Deployments(db, catalog, inv), { ...DEFAULTS, memoryBytes: 2 * 1024 ** 3 }, inv);
    const { version: v } = catalog.addVersion("acme/m", { id: "c".repeat(64), image: "acme/m", cogVersion: "0.13.6", openapiSchema: {}, config: {} });
    expect(policies.runSpec(v).limits).toEqual({ memoryBytes: 2 * 1024 ** 3, cpus: 0, pids: 4096 });
    expect(policies.effective(v).sources).toMatchObject({ memory: "config", cpus: "config", pids: "config" });
    policies.update("acme", "m", patch({ memory: "8g", cpus: 2.5, pids: 512 }, inv));
    expect(policies.stored(v.modelId)).toMatchObject({ memory: 8 * 1024 ** 3, cpus: 2.5, pids: 512 });
    expect(policies.runSpec(v).limits).toEqual({ memoryBytes: 8 * 1024 ** 3, cpus: 2.5, pids: 512 });
    expect(policies.effective(v).sources).toMatchObject({ memory: "policy", cpus: "policy", pids: "policy" });
    // 0 = no limit for this model, whatever the setting; null = back to the setting
    policies.update("acme", "m", patch({ memory: 0, cpus: null }, inv));
    expect(policies.runSpec(v).limits).toEqual({ memoryBytes: 0, cpus: 0, pids: 512 });
  });

  it("reads memory as bytes or a size, and refuses what Docker would", () => {
    expect(patch({ memory: "512m" })).toEqual({ memory: 512 * 1024 ** 2 });
    expect(patch({ memory: "1.5GiB" })).toEqual({ memory: 1.5 * 1024 ** 3 });
    expect(patch({ memory: 1024 ** 3, pids: 0, cpus: 0 })).toEqual({ memory: 1024 ** 3, pids: 0, cpus: 0 });
    expect(patch({ memory: null })).toEqual({ memory: null });
    expect(fieldsOf(() => patch({ memory: "1k" }))).toEqual(["memory"]);
    expect(fieldsOf(() => patch({ memory: 100 }))).toEqual(["memory"]);
    const errors = fieldErrors(ModelPolicyPatch, { memory: "lots", cpus: -1, pids: 1.5 });
    expect(errors.map((e) => e.field).sort()).toEqual(["cpus", "memory", "pids"]);
  });
});

describe("deployments", () => {
  function setup() {
    const db = openDatabase(":memory:");
    const catalog = new Catalog(db);
    const inv = gpus(1);
    const deployments = new Deployments(db, catalog, inv);
    const policies = new Policies(db, catalog, deployments, DEFAULTS, inv);
    const { version: v } = catalog.addVersion("acme/m", { id: "c".repeat(64), image: "acme/m", cogVersion: "0.13.6", openapiSchema: {}, config: {} });
    return { deployments, policies, catalog, v };
  }

  it("creates on the latest version by default, and each update is a new release", () => {
    const { deployments, v } = setup();
    const d = deployments.create({ name: "prod", model: "acme/m", hardware: "gpu-0", min_instances: 1, max_instances: 1 });
    expect(d).toMatchObject({ owner: "acme", name: "prod", versionId: v.id, hardware: "gpu-0", minInstances: 1, releaseNumber: 1 });
    expect(deployments.update("acme", "prod", { max_instances: 2 })).toMatchObject({ maxInstances: 2, minInstances: 1, releaseNumber: 2 });
  });

  it("checks hardware against this machine and min ≤ max", () => {
    const { deployments } = setup();
    expect(fieldsOf(() => deployments.create({ name: "x", model: "acme/m", hardware: "gpu-a100-large" }))).toEqual(["hardware"]);
    expect(fieldsOf(() => deployments.create({ name: "x", model: "acme/m", min_instances: 2, max_instances: 1 }))).toEqual(["min_instances"]);
    expect(fieldsOf(() => deployments.create({ name: "x", model: "acme/m", version: "nope" }))).toEqual(["version"]);
  });

  it("gives a deployment its own pool with its hardware", () => {
    const { deployments, policies, v } = setup();
    deployments.create({ name: "prod", model: "acme/m", hardware: "gpu-1x", min_instances: 1 });
    expect(policies.runSpec(v, "acme/prod")).toMatchObject({ key: "deployment:acme/prod", deployment: "acme/prod", gpuCount: 1, minInstances: 1 });
    expect(policies.warmSpecs().map((s) => s.key)).toEqual(["deployment:acme/prod"]);
    expect(policies.specForPool("deployment:acme/prod", v.id)?.deployment).toBe("acme/prod");
    expect(policies.specForPool("deployment:acme/gone", v.id)).toBeNull();
  });
});

describe("hardware", () => {
  it("lists cpu, any-N and each GPU; a machine without GPUs has only cpu", () => {
    expect(hardwareList(gpus(0))).toEqual([{ sku: "cpu", name: "CPU" }]);
    expect(hardwareList(gpus(2)).map((h) => h.sku)).toEqual(["cpu", "gpu-1x", "gpu-2x", "gpu-0", "gpu-1"]);
  });

  it("parses SKUs into GPU selections", () => {
    expect(parseHardware("cpu")).toEqual({ gpus: 0, pinned: null });
    expect(parseHardware("gpu-2x")).toEqual({ gpus: 2, pinned: null });
    expect(parseHardware("gpu-1-0")).toEqual({ gpus: 2, pinned: [0, 1] });
    expect(parseHardware("gpu-t4")).toBeNull();
  });
});

describe("queue estimate", () => {
  const base = { now: 0, concurrency: 1, bootMs: 2_000, predictMs: 1_000, startDelayMs: 0 };
  const rows: { name: string; input: Parameters<typeof estimateStart>[0]; want: ReturnType<typeof estimateStart> }[] = [
    { name: "cold: nothing up, first in line pays the boot", input: { ...base, position: 0, instances: [] }, want: { startAt: 2_000, coldBoot: true } },
    { name: "cold with backoff: the delay comes first", input: { ...base, position: 0, instances: [], startDelayMs: 4_000 }, want: { startAt: 6_000, coldBoot: true } },
    { name: "booting: ready at created + boot", input: { ...base, position: 0, instances: [{ state: "starting", createdAt: -500, leaseStarts: [] }] }, want: { startAt: 1_500, coldBoot: true } },
    { name: "busy: after the running prediction", input: { ...base, position: 0, instances: [{ state: "ready", createdAt: 0, leaseStarts: [-200] }] }, want: { startAt: 800, coldBoot: false } },
    { name: "overdue prediction: now, not in the past", input: { ...base, position: 0, instances: [{ state: "ready", createdAt: 0, leaseStarts: [-5_000] }] }, want: { startAt: 0, coldBoot: false } },
    { name: "third in line behind a busy slot", input: { ...base, position: 2, instances: [{ state: "ready", createdAt: 0, leaseStarts: [0] }] }, want: { startAt: 3_000, coldBoot: false } },
    { name: "two slots share the line", input: { ...base, concurrency: 2, position: 2, instances: [{ state: "ready", createdAt: 0, leaseStarts: [] }] }, want: { startAt: 1_000, coldBoot: false } },
  ];
  for (const row of rows) it(row.name, () => expect(estimateStart(row.input)).toEqual(row.want));

  it("suggests a Retry-After of one prediction's drain, 1 to 60 s", () => {
    expect(retryAfterSeconds(100, 1)).toBe(1);
    expect(retryAfterSeconds(10_000, 2)).toBe(5);
    expect(retryAfterSeconds(10 * 60_000, 1)).toBe(60);
  });
});

describe("crash backoff", () => {
  it("restarts at once after one failure, then doubles from 1 s up to a minute", () => {
    expect([0, 1, 2, 3, 4, 5, 20].map(backoffMs)).toEqual([0, 0, 1_000, 2_000, 4_000, 8_000, 60_000]);
  });
});
