// Wire shapes of modelhub's own endpoints (health, run policy, instances, queue): not part of
// Replicate's API, documented with `x-modelhub-extension: true`.
import { t } from "elysia";
import { Int, orNull, QueuePosition, Timestamp } from "./wire-common.ts";

export const Health = t.Object({
  status: t.Union([t.Literal("ok"), t.Literal("degraded")]),
  version: t.String(),
  docker: t.Object({ ok: t.Boolean(), error: t.Optional(t.String()) }),
});

const PolicyValues = t.Record(t.String(), t.Unknown(), {
  description: "gpus, pinned_gpus, idle_timeout (seconds or \"never\"), min_instances, max_instances, concurrency, max_queue, setup_timeout",
});

export const ModelPolicyView = t.Object({
  model: t.String(),
  policy: PolicyValues,
  effective: orNull(t.Record(t.String(), t.Unknown(), { description: "the values in force for the latest version, with `sources`" })),
  setup_error: orNull(t.String()),
});

/** PATCH body: any subset of the policy fields; null resets one to its default. */
export const ModelPolicyPatch = PolicyValues;

export const VersionRetry = t.Object({
  model: t.String(),
  version: t.String(),
  setup_error: t.Null(),
  previous_error: orNull(t.String()),
});

export const InstancesView = t.Object({
  gpus: t.Object({ source: t.String(), note: orNull(t.String()), devices: t.Array(t.Record(t.String(), t.Unknown())) }),
  instances: t.Array(t.Record(t.String(), t.Unknown())),
  queues: t.Array(t.Record(t.String(), t.Unknown())),
  versions: t.Array(t.Record(t.String(), t.Unknown())),
});

export const InstancesStop = t.Object({
  model: t.Optional(t.String()),
  deployment: t.Optional(t.String()),
  all: t.Optional(t.Literal(true)),
  grace: t.Optional(t.Number({ minimum: 0, maximum: 3600, description: "seconds running predictions get to finish" })),
});

export const InstanceStop = t.Object({ grace: t.Optional(t.Number({ minimum: 0, maximum: 3600 })) });

export const StopResult = t.Object({ stopped: t.Array(t.String()), failed_queued: Int({ minimum: 0 }) });

export const QueueView = t.Object({
  id: t.String(),
  status: t.String(),
  queue: orNull(QueuePosition),
});
