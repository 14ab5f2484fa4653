// modelhub extension: what runs where. GET /v1/instances (instances, queues, GPUs, measured numbers),
// POST /v1/instances/{id}/stop, POST /v1/instances/stop ({model} | {deployment} | {all: true}),
// and GET /v1/predictions/{id}/queue (a queued prediction's position and estimated start).
import { Elysia } from "elysia";
import { type InstancesJson, InstancesStop, InstanceStop } from "../../contract/wire-extensions.ts";
import { invalidInput, notFound } from "../../errors.ts";
import type { HttpDeps } from "../http-context.ts";
import { queueJson } from "./queue-info.ts";
import { json } from "../respond.ts";
import { readBody } from "../transport/body.ts";
import { visiblePrediction } from "../visibility.ts";
import type { SchedulingDeps } from "../scheduling-context.ts";

const DEFAULT_GRACE_S = 30;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const secs = (ms: number) => Math.max(0, Math.round(ms / 100) / 10);

/** Seconds running predictions get to finish (checked by the wire schema: 0..3600), as ms. */
const graceMs = (b: { grace?: number }) => (b.grace ?? DEFAULT_GRACE_S) * 1000;

export function instanceRoutes(d: HttpDeps, s: SchedulingDeps) {
  const present = (): InstancesJson => {
    const now = Date.now();
    const sch = d.scheduler;
    const instances = sch.list().map((i) => ({
      id: i.id,
      model: i.model,
      version: i.versionId,
      deployment: i.deployment,
      state: i.state,
      node: i.node,
      gpus: i.gpuIndices,
      gpus_simulated: i.simulatedGpus,
      container_id: i.containerId,
      adopted: i.adopted,
      created_at: iso(i.createdAt),
      ready_at: iso(i.readyAt),
      uptime_seconds: secs(now - i.createdAt),
      idle_seconds: i.inFlight === 0 && i.state === "ready" ? secs(now - i.lastUsedAt) : null,
      in_flight: i.inFlight,
      concurrency: i.concurrency,
      queued: sch.queued(i.key),
      boot_ms: i.readyAt === null ? null : i.adopted ? null : i.readyAt - i.createdAt,
      peak_memory_bytes: i.peakMemoryBytes,
      cog_server: i.cogServer ?? null,
    }));
    const queues = sch.queues().map((q) => ({
      model: q.model,
      version: q.versionId,
      deployment: q.deployment,
      queued: q.queued,
      waiting_for: q.waitReason,
      backoff_until: iso(q.backoffUntil),
      setup_error: q.setupError,
    }));
    const holder = (index: number) => sch.list().find((i) => i.gpuIndices.includes(index))?.id ?? null;
    const gpus = {
      source: s.inventory.source,
      note: s.inventory.note ?? null,
      devices: s.inventory.gpus.map((g) => ({ index: g.index, name: g.name, memory_total_mib: g.memoryTotalMiB, simulated: g.simulated, instance: holder(g.index) })),
    };
    const versions = sch.stats.all().map((v) => ({
      version: v.versionId,
      model: d.catalog.findVersion(v.versionId)?.model ?? null,
      boots: v.boots,
      avg_boot_ms: v.boots ? Math.round(v.bootMsTotal / v.boots) : null,
      last_boot_ms: v.lastBootMs === null ? null : Math.round(v.lastBootMs),
      predictions: v.predictions,
      avg_predict_ms: v.predictions ? Math.round(v.predictMsTotal / v.predictions) : null,
      peak_memory_bytes: v.peakMemoryBytes,
      peak_gpu_memory_mib: v.peakGpuMemoryMiB,
    }));
    return { gpus, instances, queues, versions };
  };

  return new Elysia({ name: "instances" })
    .get("/v1/instances", () => json(present()))
    .post("/v1/instances/stop", async ({ request }) => {
      const b = await readBody(request, InstancesStop, d.maxJsonBytes);
      // One target, which the schema (three optional fields) cannot say by itself.
      if ([b.model, b.deployment, b.all].filter((x) => x !== undefined).length !== 1)
        throw invalidInput('give exactly one of {"model": "owner/name"}, {"deployment": "owner/name"} or {"all": true}', [
          { field: "model", rule: "required", message: "model, deployment or all is required" },
        ]);
      // A typo is a 404, not "nothing running".
      if (typeof b.model === "string") d.catalog.getModel(...(b.model.split("/") as [string, string]));
      if (typeof b.deployment === "string") s.deployments.get(...(b.deployment.split("/") as [string, string]));
      const reason = `stopped by modelhub stop${b.all ? " --all" : ` ${b.model ?? b.deployment}`}`;
      const r = await d.scheduler.stopWhere(
        (x) => b.all === true || (b.model !== undefined && x.model === b.model) || (b.deployment !== undefined && x.deployment === b.deployment),
        graceMs(b),
        reason,
      );
      return json({ stopped: r.stopped, failed_queued: r.failedQueued });
    })
    .post("/v1/instances/:id/stop", async ({ request, params }) => {
      const b = await readBody(request, InstanceStop, d.maxJsonBytes);
      if (!d.scheduler.get(params.id)) throw notFound(`Instance ${params.id} not found (see GET /v1/instances)`);
      const r = await d.scheduler.stopWhere((x) => x.instanceId === params.id, graceMs(b), `stopped by modelhub stop ${params.id}`);
      return json({ stopped: r.stopped, failed_queued: r.failedQueued });
    })
    .get("/v1/predictions/:id/queue", ({ request, params }) => {
      const p = visiblePrediction(d, request, d.predictions.get(params.id));
      return json({ id: p.id, status: p.status, queue: queueJson(d.scheduler, p.id) });
    });
}
