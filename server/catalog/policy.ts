// Per-model run policy: the stored overrides (SQL), their defaults (the image's run.cog.config, then
// config), validation of changes, and the RunSpec the scheduler gets for a version or a deployment.
import type { ModelPolicyPatchBody } from "../contract/wire-extensions.ts";
import type { Db } from "../db/database.ts";
import { type FieldError, invalidInput } from "../errors.ts";
import type { GpuInventory } from "../runtime/gpus.ts";
import { parseHardware } from "../runtime/hardware.ts";
import type { RunSpec } from "../scheduler/run-spec.ts";
import { type Catalog, engineImageRef, type Version } from "./catalog.ts";
import type { Deployment, Deployments } from "./deployments.ts";

export interface PolicyDefaults {
  idleTimeoutS: number; // -1 = never
  setupTimeoutS: number;
  maxQueue: number;
  maxInstances: number;
  /** container limits (the --container-* settings); 0 = none */
  memoryBytes: number;
  cpus: number;
  pids: number;
}

/** Stored overrides; null = default. Times are seconds; idleTimeout -1 = never stop, 0 = stop when idle. */
export interface ModelPolicy {
  gpus: number | null;
  pinnedGpus: number[] | null;
  idleTimeout: number | null;
  minInstances: number | null;
  maxInstances: number | null;
  concurrency: number | null;
  maxQueue: number | null;
  setupTimeout: number | null;
  /** container limits: bytes, CPUs, processes; 0 = no limit */
  memory: number | null;
  cpus: number | null;
  pids: number | null;
  /** run only on this node (see modelhub nodes) */
  node: string | null;
  /** run only on nodes with these labels */
  nodeLabels: Record<string, string> | null;
}

export type PolicyKey = keyof ModelPolicy;
export type PolicySource = "policy" | "deployment" | "image" | "config";

export interface EffectivePolicy {
  gpus: number;
  pinnedGpus: number[];
  idleTimeout: number;
  minInstances: number;
  maxInstances: number;
  concurrency: number;
  maxQueue: number;
  setupTimeout: number;
  memory: number;
  cpus: number;
  pids: number;
  /** "" = any node */
  node: string;
  /** {} = any labels */
  nodeLabels: Record<string, string>;
  sources: Record<PolicyKey, PolicySource>;
}

export const POLICY_KEYS: readonly PolicyKey[] = ["gpus", "pinnedGpus", "idleTimeout", "minInstances", "maxInstances", "concurrency", "maxQueue", "setupTimeout", "memory", "cpus", "pids", "node", "nodeLabels"];

/** API (snake_case) name of each policy field. */
export const WIRE_NAME: Record<PolicyKey, string> = {
  gpus: "gpus",
  pinnedGpus: "pinned_gpus",
  idleTimeout: "idle_timeout",
  minInstances: "min_instances",
  maxInstances: "max_instances",
  concurrency: "concurrency",
  maxQueue: "max_queue",
  setupTimeout: "setup_timeout",
  memory: "memory",
  cpus: "cpus",
  pids: "pids",
  node: "node",
  nodeLabels: "node_labels",
};

/** A model with nothing stored: every field falls back to the deployment, the image and the settings. */
export const EMPTY_POLICY: ModelPolicy = {
  gpus: null,
  pinnedGpus: null,
  idleTimeout: null,
  minInstances: null,
  maxInstances: null,
  concurrency: null,
  maxQueue: null,
  setupTimeout: null,
  memory: null,
  cpus: null,
  pids: null,
  node: null,
  nodeLabels: null,
};

/** The image's own say: build.gpu → 1 GPU, concurrency.max → slots per instance (docs/cog-schemas.md, Image labels). */
function fromImage(v: Version): { gpus: number; concurrency: number | null } {
  const max = Number(v.config.concurrency?.max);
  return { gpus: v.config.build?.gpu ? 1 : 0, concurrency: Number.isInteger(max) && max >= 1 ? max : null };
}

/** Pure: stored policy over deployment settings over the image over config. */
export function effectivePolicy(v: Version, stored: ModelPolicy, defaults: PolicyDefaults, deployment?: Deployment | null): EffectivePolicy {
  const image = fromImage(v);
  const sources = {} as Record<PolicyKey, PolicySource>;
  // A function declaration, not a generic arrow: `<T>(` reads as JSX to the TSX scanner the architecture test uses.
  function pick<T>(key: PolicyKey, ...options: [PolicySource, T | null | undefined][]): T {
    for (const [source, value] of options)
      if (value !== null && value !== undefined) {
        sources[key] = source;
        return value;
      }
    throw new Error(`no value for ${key}`);
  }
  const hw = deployment ? parseHardware(deployment.hardware) : null;
  // A deployment's hardware is its GPU choice; for a model, pinning implies the count.
  const pinnedGpus = pick<number[]>("pinnedGpus", ["deployment", hw ? (hw.pinned ?? []) : null], ["policy", stored.pinnedGpus], ["config", []]);
  const gpus = pick<number>(
    "gpus",
    ["deployment", hw?.gpus],
    ["policy", stored.gpus ?? (stored.pinnedGpus?.length ? stored.pinnedGpus.length : null)],
    ["image", image.gpus],
  );
  return {
    gpus,
    pinnedGpus,
    idleTimeout: pick("idleTimeout", ["policy", stored.idleTimeout], ["config", defaults.idleTimeoutS]),
    minInstances: pick("minInstances", ["deployment", deployment?.minInstances], ["policy", stored.minInstances], ["config", 0]),
    maxInstances: pick("maxInstances", ["deployment", deployment?.maxInstances], ["policy", stored.maxInstances], ["config", Math.max(1, defaults.maxInstances)]),
    concurrency: pick("concurrency", ["policy", stored.concurrency], ["image", image.concurrency], ["config", 1]),
    maxQueue: pick("maxQueue", ["policy", stored.maxQueue], ["config", Math.max(1, defaults.maxQueue)]),
    setupTimeout: pick("setupTimeout", ["policy", stored.setupTimeout], ["config", defaults.setupTimeoutS]),
    memory: pick("memory", ["policy", stored.memory], ["config", defaults.memoryBytes]),
    cpus: pick("cpus", ["policy", stored.cpus], ["config", defaults.cpus]),
    pids: pick("pids", ["policy", stored.pids], ["config", defaults.pids]),
    node: pick("node", ["policy", stored.node], ["config", ""]),
    nodeLabels: pick<Record<string, string>>("nodeLabels", ["policy", stored.nodeLabels], ["config", {}]),
    sources,
  };
}

export function toRunSpec(v: Version, p: EffectivePolicy, deployment?: Deployment | null, rev = 0): RunSpec {
  return {
    rev,
    key: deployment ? `deployment:${deployment.owner}/${deployment.name}` : v.id,
    versionId: v.id,
    model: v.model,
    deployment: deployment ? `${deployment.owner}/${deployment.name}` : null,
    image: engineImageRef(v),
    gpuCount: p.gpus,
    pinnedGpus: p.pinnedGpus.length > 0 ? p.pinnedGpus : undefined,
    concurrency: p.concurrency,
    maxQueue: p.maxQueue,
    idleTimeoutMs: p.idleTimeout < 0 ? -1 : p.idleTimeout * 1000,
    setupTimeoutMs: p.setupTimeout * 1000,
    minInstances: Math.min(p.minInstances, p.maxInstances),
    maxInstances: p.maxInstances,
    limits: { memoryBytes: p.memory, cpus: p.cpus, pids: p.pids },
    ...(p.node ? { node: p.node } : {}),
    ...(Object.keys(p.nodeLabels).length ? { nodeLabels: p.nodeLabels } : {}),
  };
}

/**
 * A PATCH body, already checked against its wire schema (ModelPolicyPatch: types, ranges, unknown
 * fields), as stored overrides: null resets a field, "never" is an idle_timeout of -1, an empty
 * pinned_gpus unpins. Only what the schema cannot know is checked here: that pinned GPUs exist.
 */
export function policyChange(body: ModelPolicyPatchBody, inv: GpuInventory): Partial<ModelPolicy> {
  const out: Partial<ModelPolicy> = {};
  if (body.gpus !== undefined) out.gpus = body.gpus;
  if (body.idle_timeout !== undefined) out.idleTimeout = body.idle_timeout === "never" ? -1 : body.idle_timeout;
  if (body.min_instances !== undefined) out.minInstances = body.min_instances;
  if (body.max_instances !== undefined) out.maxInstances = body.max_instances;
  if (body.concurrency !== undefined) out.concurrency = body.concurrency;
  if (body.max_queue !== undefined) out.maxQueue = body.max_queue;
  if (body.setup_timeout !== undefined) out.setupTimeout = body.setup_timeout;
  if (body.memory !== undefined) out.memory = body.memory === null ? null : memoryBytes(body.memory);
  if (body.cpus !== undefined) out.cpus = body.cpus;
  if (body.pids !== undefined) out.pids = body.pids;
  if (body.node !== undefined) out.node = body.node;
  if (body.node_labels !== undefined) out.nodeLabels = body.node_labels && Object.keys(body.node_labels).length ? body.node_labels : null;
  const pinned = body.pinned_gpus;
  if (pinned === null || pinned?.length === 0) out.pinnedGpus = null;
  else if (pinned) {
    const have = inv.gpus.map((g) => g.index);
    const missing = pinned.filter((i) => !have.includes(i));
    if (missing.length) {
      const message = `GPU ${missing.join(", ")} not on this machine (${have.length ? `it has ${have.join(", ")}` : "it has no GPUs"})`;
      throw invalidInput(`Invalid policy: pinned_gpus ${message}`, [{ field: "pinned_gpus", rule: "exists", message }]);
    }
    out.pinnedGpus = [...pinned].sort((a, b) => a - b);
  }
  return out;
}

/** Docker refuses a memory limit under 6 MiB; 0 means no limit. */
const MIN_MEMORY = 6 * 1024 * 1024;

/** 8589934592, "8g", "512m", "1.5GiB" → bytes (the schema has checked the shape). */
function memoryBytes(v: number | string): number {
  let n = typeof v === "number" ? v : 0;
  if (typeof v === "string") {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(v);
    const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[(m?.[2] ?? "").toLowerCase() as "" | "k" | "m" | "g" | "t"];
    n = m ? Math.round(Number(m[1]) * mult) : Number.NaN;
  }
  if (!Number.isFinite(n) || (n !== 0 && n < MIN_MEMORY)) {
    const message = `must be 0 (no limit) or at least 6m, got ${JSON.stringify(v)}`;
    throw invalidInput(`Invalid policy: memory ${message}`, [{ field: "memory", rule: "range", message }]);
  }
  return n;
}

/** Rules that span fields, checked on the merged result. */
function checkConsistent(p: ModelPolicy, defaults: PolicyDefaults): void {
  const errors: FieldError[] = [];
  if (p.pinnedGpus && p.gpus !== null && p.gpus !== p.pinnedGpus.length)
    errors.push({ field: "gpus", rule: "consistent", message: `is ${p.gpus} but pinned_gpus lists ${p.pinnedGpus.length}; set gpus to null or match them` });
  const max = p.maxInstances ?? Math.max(1, defaults.maxInstances);
  if (p.minInstances !== null && p.minInstances > max)
    errors.push({ field: "min_instances", rule: "range", message: `is ${p.minInstances} but max_instances is ${max}` });
  if (errors.length) throw invalidInput(`Invalid policy: ${errors.map((e) => `${e.field} ${e.message}`).join("; ")}`, errors);
}

interface PolicyRow {
  model_id: number;
  gpus: number | null;
  pinned_gpus: string | null;
  idle_timeout: number | null;
  min_instances: number | null;
  max_instances: number | null;
  concurrency: number | null;
  max_queue: number | null;
  setup_timeout: number | null;
  memory: number | null;
  cpus: number | null;
  pids: number | null;
  node: string | null;
  node_labels: string | null;
}

export class Policies {
  /** bumped by every policy or deployment change; specs carry it so a cached older spec never wins */
  private rev = 1;

  constructor(
    private db: Db,
    private catalog: Catalog,
    private deployments: Deployments,
    readonly defaults: PolicyDefaults,
    readonly inventory: GpuInventory,
    /**
     * The container command a version's containers run (undefined keeps the image's CMD). It is
     * part of every spec built here, so no caller has to remember it: today it points Cog's
     * --upload-url at the callback listener.
     */
    private containerCommand: (v: Version) => string[] | undefined = () => undefined,
  ) {}

  /** Every RunSpec is made here: the effective policy plus the container command. */
  private build(v: Version, p: EffectivePolicy, d: Deployment | null): RunSpec {
    const spec = toRunSpec(v, p, d, this.rev);
    const cmd = this.containerCommand(v);
    return cmd ? { ...spec, cmd } : spec;
  }

  stored(modelId: number): ModelPolicy {
    const r = this.db.query("SELECT * FROM model_policies WHERE model_id = ?").get(modelId) as PolicyRow | null;
    if (!r) return { ...EMPTY_POLICY };
    return {
      gpus: r.gpus,
      pinnedGpus: r.pinned_gpus ? (JSON.parse(r.pinned_gpus) as number[]) : null,
      idleTimeout: r.idle_timeout,
      minInstances: r.min_instances,
      maxInstances: r.max_instances,
      concurrency: r.concurrency,
      maxQueue: r.max_queue,
      setupTimeout: r.setup_timeout,
      memory: r.memory,
      cpus: r.cpus,
      pids: r.pids,
      node: r.node,
      nodeLabels: r.node_labels ? (JSON.parse(r.node_labels) as Record<string, string>) : null,
    };
  }

  /** Merges a parsed patch into the stored policy of owner/name and returns the result. */
  update(owner: string, name: string, patch: Partial<ModelPolicy>): ModelPolicy {
    const m = this.catalog.getModel(owner, name);
    const next = { ...this.stored(m.id), ...patch };
    checkConsistent(next, this.defaults);
    this.db
      .query(
        `INSERT INTO model_policies (model_id, gpus, pinned_gpus, idle_timeout, min_instances, max_instances, concurrency, max_queue, setup_timeout, memory, cpus, pids, node, node_labels, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (model_id) DO UPDATE SET gpus = excluded.gpus, pinned_gpus = excluded.pinned_gpus, idle_timeout = excluded.idle_timeout,
           min_instances = excluded.min_instances, max_instances = excluded.max_instances, concurrency = excluded.concurrency,
           max_queue = excluded.max_queue, setup_timeout = excluded.setup_timeout,
           memory = excluded.memory, cpus = excluded.cpus, pids = excluded.pids, node = excluded.node, node_labels = excluded.node_labels,
           updated_at = excluded.updated_at`,
      )
      .run(
        m.id,
        next.gpus,
        next.pinnedGpus ? JSON.stringify(next.pinnedGpus) : null,
        next.idleTimeout,
        next.minInstances,
        next.maxInstances,
        next.concurrency,
        next.maxQueue,
        next.setupTimeout,
        next.memory,
        next.cpus,
        next.pids,
        next.node,
        next.nodeLabels ? JSON.stringify(next.nodeLabels) : null,
        new Date().toISOString(),
      );
    this.rev++;
    return next;
  }

  /** A deployment changed (its SQL lives in deployments.ts): specs built before are now stale. */
  changed(): void {
    this.rev++;
  }

  effective(v: Version, deployment?: Deployment | null): EffectivePolicy {
    return effectivePolicy(v, this.stored(v.modelId), this.defaults, deployment);
  }

  /** What the scheduler runs for a prediction on `v`, through deployment `o/n` when given. */
  runSpec(v: Version, deployment?: string | null): RunSpec {
    const d = deployment ? this.deploymentFor(deployment, v) : null;
    return this.build(v, this.effective(v, d), d);
  }

  /** Pools to keep warm: each model's latest version with min_instances, and each deployment with min_instances. */
  warmSpecs(): RunSpec[] {
    const out: RunSpec[] = [];
    const rows = this.db.query("SELECT model_id FROM model_policies WHERE min_instances > 0").all() as { model_id: number }[];
    for (const r of rows) {
      const v = this.catalog.latestVersion(r.model_id);
      if (v && !v.setupError) out.push(this.runSpec(v));
    }
    for (const d of this.deployments.list()) {
      if (d.minInstances <= 0) continue;
      const v = this.catalog.findVersion(d.versionId);
      if (v && !v.setupError) out.push(this.build(v, this.effective(v, d), d));
    }
    return out;
  }

  /** The spec a leftover container (by its labels) would serve now, or null when it should be removed. */
  specForPool(poolKey: string, versionId: string): RunSpec | null {
    const v = this.catalog.findVersion(versionId);
    if (!v || v.setupError) return null;
    if (!poolKey.startsWith("deployment:")) return poolKey === v.id ? this.runSpec(v) : null;
    const [owner, name] = poolKey.slice("deployment:".length).split("/");
    const d = this.deployments.find(owner, name);
    return d && d.versionId === v.id ? this.build(v, this.effective(v, d), d) : null;
  }

  private deploymentFor(full: string, v: Version): Deployment | null {
    const [owner, name] = full.split("/");
    const d = this.deployments.find(owner, name);
    return d && d.versionId === v.id ? d : null;
  }
}
