// Wire shapes of nodes (modelhub extension, admin only): the machines whose Docker engines models run on.
import { t } from "elysia";
import { Int, orNull, Timestamp } from "./wire-common.ts";

export const NodeCreate = t.Object({
  name: t.String({ minLength: 1, maxLength: 63, description: "lowercase letters, digits, '.', '_', '-'" }),
  engine: t.String({ minLength: 1, maxLength: 300, description: "tcp://HOST:2376 (dockerd --tlsverify), or unix:///path for an engine on the modelhub machine" }),
  tls_ca: t.Optional(t.String({ maxLength: 4096, description: "path on the modelhub machine of the CA certificate the engine's certificate is checked against" })),
  tls_cert: t.Optional(t.String({ maxLength: 4096, description: "path of modelhub's client certificate" })),
  tls_key: t.Optional(t.String({ maxLength: 4096, description: "path of modelhub's client key" })),
  labels: t.Optional(t.Record(t.String(), t.String({ maxLength: 200 }))),
  fake_gpus: t.Optional(Int({ minimum: 0, maximum: 64, description: "simulate this many GPUs (tests; containers get no device request)" })),
});

export const NodeDrain = t.Object({
  drained: t.Optional(t.Boolean({ description: "true (default): no new work goes there; false: it takes work again" })),
});

const NodeGpu = t.Object({
  index: Int(),
  uuid: t.String(),
  name: t.String(),
  memory_total_mib: t.Number(),
  memory_used_mib: t.Number(),
  simulated: t.Boolean(),
});

export const NodeView = t.Object({
  name: t.String(),
  engine: t.String({ description: "tcp://…, unix://…, or local (the engine beside modelhub)" }),
  state: t.Union([t.Literal("up"), t.Literal("draining"), t.Literal("down"), t.Literal("unknown")]),
  labels: t.Record(t.String(), t.String()),
  gpus: t.Array(NodeGpu),
  gpu_source: orNull(t.String()),
  cpus: orNull(t.Number()),
  memory_bytes: orNull(t.Number()),
  instances: Int({ minimum: 0 }),
  last_seen_at: orNull(Timestamp),
  error: orNull(t.String()),
  note: orNull(t.String()),
});

export const NodeList = t.Object({ nodes: t.Array(NodeView) });
