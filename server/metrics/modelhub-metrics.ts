// What modelhub exposes at GET /metrics. Counters and histograms are fed by the owners of the facts
// (prediction events, the scheduler's boot measurements, the webhook dispatcher, the HTTP app);
// gauges are read from their owners when scraped. Only types cross into the other layers.
import type { PredictionEvents } from "../predictions/events.ts";
import { MetricsRegistry, SECONDS_BUCKETS } from "./registry.ts";

export interface MetricSources {
  events: PredictionEvents;
  /** instances by state, read at scrape time */
  instances(): readonly { state: string; model: string }[];
  /** waiting predictions per model, read at scrape time */
  queues(): readonly { model: string; queued: number }[];
  /** GPUs with measured memory (empty when nothing measures it) */
  gpus(): readonly { index: number; name: string; memoryUsedMiB: number | null; memoryTotalMiB: number | null }[];
}

export class ModelhubMetrics {
  readonly registry = new MetricsRegistry();
  private predictions = this.registry.counter("modelhub_predictions_total", "Predictions that ended, by model and final status.");
  private queueWait = this.registry.histogram("modelhub_prediction_queue_wait_seconds", "From creation to the container starting the prediction.", SECONDS_BUCKETS);
  private predictTime = this.registry.histogram("modelhub_prediction_predict_seconds", "Time the model spent on a prediction.", SECONDS_BUCKETS);
  private bootTime = this.registry.histogram("modelhub_instance_boot_seconds", "From container start to the model's setup() being done (READY).", SECONDS_BUCKETS);
  private webhooks = this.registry.counter("modelhub_webhook_deliveries_total", "User webhook POSTs, by outcome (ok, failed).");
  private requests = this.registry.counter("modelhub_http_requests_total", "HTTP requests answered, by method, route template and status.");

  constructor(sources: MetricSources) {
    this.registry.gauge("modelhub_queue_depth", "Predictions waiting for a container, by model.", () =>
      sources.queues().map((q) => ({ labels: { model: q.model }, value: q.queued })),
    );
    this.registry.gauge("modelhub_instances", "Model containers, by state and model.", () => {
      const by = new Map<string, { labels: Record<string, string>; value: number }>();
      for (const i of sources.instances()) {
        const k = `${i.state}\u0000${i.model}`;
        const cur = by.get(k) ?? { labels: { state: i.state, model: i.model }, value: 0 };
        cur.value++;
        by.set(k, cur);
      }
      return [...by.values()];
    });
    this.registry.gauge("modelhub_gpu_memory_used_bytes", "GPU memory in use, where measured.", () =>
      sources.gpus().flatMap((g) => (g.memoryUsedMiB == null ? [] : [{ labels: { gpu: String(g.index), name: g.name }, value: g.memoryUsedMiB * 1024 * 1024 }])),
    );
    this.registry.gauge("modelhub_gpu_memory_total_bytes", "GPU memory, where known.", () =>
      sources.gpus().flatMap((g) => (g.memoryTotalMiB == null ? [] : [{ labels: { gpu: String(g.index), name: g.name }, value: g.memoryTotalMiB * 1024 * 1024 }])),
    );
    sources.events.subscribeAll((e) => {
      if (e.kind !== "completed") return;
      const p = e.prediction;
      this.predictions.inc({ model: p.model, status: p.status });
      const created = Date.parse(p.createdAt);
      const started = p.startedAt ? Date.parse(p.startedAt) : NaN;
      const completed = p.completedAt ? Date.parse(p.completedAt) : NaN;
      if (Number.isFinite(started)) this.queueWait.observe({ model: p.model }, Math.max(0, started - created) / 1000);
      const predict = typeof p.metrics.predict_time === "number" ? p.metrics.predict_time : (completed - started) / 1000;
      if (Number.isFinite(predict)) this.predictTime.observe({ model: p.model }, Math.max(0, predict));
    });
  }

  bootObserved(model: string, ms: number): void {
    this.bootTime.observe({ model }, ms / 1000);
  }

  webhookDelivered(ok: boolean): void {
    this.webhooks.inc({ outcome: ok ? "ok" : "failed" });
  }

  requestAnswered(method: string, route: string, status: number): void {
    this.requests.inc({ method, route, status: String(status) });
  }

  render(): string {
    return this.registry.render();
  }
}
