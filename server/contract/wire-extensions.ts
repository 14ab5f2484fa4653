// Wire shapes of modelhub's own endpoints (health, run policy, instances, queue): not part of
// Replicate's API, documented with `x-modelhub-extension: true`.
import { type Static, t, type TSchema } from "elysia";
import { Int, orNull, QueuePosition, Timestamp } from "./wire-common.ts";

export const Health = t.Object({
  status: t.Union([t.Literal("ok"), t.Literal("degraded")]),
  version: t.String(),
  docker: t.Object({ ok: t.Boolean(), error: t.Optional(t.String()) }),
});

const PolicyValues = t.Record(t.String(), t.Unknown(), {
  description: "gpus, pinned_gpus, idle_timeout (seconds or \"never\"), min_instances, max_instances, concurrency, max_queue, setup_timeout, memory (bytes), cpus, pids (0 = no limit), node, node_labels",
});

export const ModelPolicyView = t.Object({
  model: t.String(),
  policy: PolicyValues,
  effective: orNull(t.Record(t.String(), t.Unknown(), { description: "the values in force for the latest version, with `sources`" })),
  setup_error: orNull(t.String()),
});

/** The most instances one pool may scale to: policies and deployments are checked against it. */
export const MAX_INSTANCES = 64;

/** A policy field of a PATCH: absent = unchanged, null = back to the default. */
const reset = <T extends TSchema>(schema: T) => t.Optional(orNull(schema));

/** PATCH body: any subset of the policy fields; null resets one to its default. */
export const ModelPolicyPatch = t.Object(
  {
    gpus: reset(Int({ minimum: 0, maximum: 64, description: "GPUs per instance" })),
    pinned_gpus: reset(t.Array(Int({ minimum: 0 }), { uniqueItems: true, description: "GPU indices the instances run on; [] unpins" })),
    idle_timeout: reset(t.Union([t.Number({ minimum: 0 }), t.Literal("never"), t.Literal(-1)], { description: "seconds an idle instance keeps running; \"never\" (or -1) keeps it" })),
    min_instances: reset(Int({ minimum: 0, maximum: MAX_INSTANCES, description: "instances kept warm" })),
    max_instances: reset(Int({ minimum: 1, maximum: MAX_INSTANCES })),
    concurrency: reset(Int({ minimum: 1, maximum: 1000, description: "predictions one instance runs at once" })),
    // A cold start needs somewhere to wait, so the queue holds at least one.
    max_queue: reset(Int({ minimum: 1, maximum: 1_000_000 })),
    setup_timeout: reset(t.Number({ minimum: 1, description: "seconds from start to READY" })),
    memory: reset(
      t.Union([Int({ minimum: 0 }), t.String({ pattern: "^\\s*\\d+(\\.\\d+)?\\s*[kmgtKMGT]?([iI]?[bB])?\\s*$", maxLength: 32 })], {
        description: "memory limit per container: bytes, or a size like 8g or 512m; 0 = no limit; going over it kills the container (out of memory)",
      }),
    ),
    cpus: reset(t.Number({ minimum: 0, maximum: 1024, description: "CPUs a container may use, e.g. 4 or 2.5; 0 = no limit" })),
    pids: reset(Int({ minimum: 0, maximum: 4_194_304, description: "processes a container may run; 0 = no limit" })),
    node: reset(t.String({ pattern: "^[a-z0-9][a-z0-9_.-]{0,62}$", description: "run only on this node (GET /v1/nodes)" })),
    node_labels: reset(t.Record(t.String({ maxLength: 63 }), t.String({ maxLength: 200 }), { description: "run only on nodes carrying every one of these labels; {} = any" })),
  },
  { additionalProperties: false },
);

export type ModelPolicyPatchBody = Static<typeof ModelPolicyPatch>;

export const VersionRetry = t.Object({
  model: t.String(),
  version: t.String(),
  setup_error: t.Null(),
  previous_error: orNull(t.String()),
});

const InstanceView = t.Object({
  id: t.String(),
  model: t.String(),
  version: t.String(),
  deployment: orNull(t.String()),
  state: t.String(),
  node: t.String({ description: 'the machine it runs on ("local": the engine beside modelhub; see GET /v1/nodes)' }),
  gpus: t.Array(Int()),
  gpus_simulated: t.Boolean(),
  container_id: orNull(t.String()),
  adopted: t.Boolean(),
  created_at: orNull(Timestamp),
  ready_at: orNull(Timestamp),
  uptime_seconds: t.Number(),
  idle_seconds: orNull(t.Number()),
  in_flight: Int(),
  concurrency: Int(),
  queued: Int(),
  boot_ms: orNull(t.Number()),
  peak_memory_bytes: orNull(t.Number()),
  cog_server: orNull(t.String({ description: 'the Cog server the container answered as: "coglet 0.22.0" (Cog 0.17+) or "python"' })),
});

const InstanceQueueView = t.Object({
  model: t.String(),
  version: t.String(),
  deployment: orNull(t.String()),
  queued: Int(),
  waiting_for: orNull(t.String()),
  backoff_until: orNull(Timestamp),
  setup_error: orNull(t.String()),
});

const GpuDeviceView = t.Object({
  index: Int(),
  name: t.String(),
  memory_total_mib: orNull(t.Number()),
  simulated: t.Boolean(),
  instance: orNull(t.String({ description: "the instance holding it, if any" })),
});

const VersionStatsView = t.Object({
  version: t.String(),
  model: orNull(t.String()),
  boots: Int(),
  avg_boot_ms: orNull(t.Number()),
  last_boot_ms: orNull(t.Number()),
  predictions: Int(),
  avg_predict_ms: orNull(t.Number()),
  peak_memory_bytes: orNull(t.Number()),
  peak_gpu_memory_mib: orNull(t.Number()),
});

export const InstancesView = t.Object({
  gpus: t.Object({ source: t.String(), note: orNull(t.String()), devices: t.Array(GpuDeviceView) }),
  instances: t.Array(InstanceView),
  queues: t.Array(InstanceQueueView),
  versions: t.Array(VersionStatsView),
});

/** GET /v1/instances: built by the server, read by the UI's instances page and `modelhub ps`. */
export type InstancesJson = Static<typeof InstancesView>;

const OwnerName = t.String({ pattern: "^[^/]+/[^/]+$", description: "owner/name" });
const Grace = t.Number({ minimum: 0, maximum: 3600, description: "seconds running predictions get to finish (default 30)" });

/** Exactly one of model, deployment or all (the route checks the "one"). */
export const InstancesStop = t.Object({
  model: t.Optional(OwnerName),
  deployment: t.Optional(OwnerName),
  all: t.Optional(t.Literal(true)),
  grace: t.Optional(Grace),
});

export const InstanceStop = t.Object({ grace: t.Optional(Grace) });

export const StopResult = t.Object({ stopped: t.Array(t.String()), failed_queued: Int({ minimum: 0 }) });

export const QueueView = t.Object({
  id: t.String(),
  status: t.String(),
  queue: orNull(QueuePosition),
});
