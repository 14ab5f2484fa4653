// /metrics: the text parses with a strict Prometheus reader, and each counter moves with what it counts.
import { afterAll, describe, expect, it } from "bun:test";
import { ModelhubMetrics } from "../../server/metrics/modelhub-metrics.ts";
import { MetricsRegistry } from "../../server/metrics/registry.ts";
import { PredictionEvents } from "../../server/predictions/events.ts";
import type { PredictionRecord } from "../../server/predictions/store.ts";
import { parsePrometheusText, sampleValue } from "../helpers/prometheus-text.ts";
import { testApp } from "../helpers/test-app.ts";
import { until } from "../helpers/until.ts";

const record = (over: Partial<PredictionRecord>): PredictionRecord => ({
  id: "p1", model: "o/m", versionId: "v", input: {}, output: null, logs: "", error: null, status: "succeeded", source: "api",
  createdAt: "2026-01-01T00:00:00.000Z", startedAt: "2026-01-01T00:00:00.300Z", completedAt: "2026-01-01T00:00:02.300Z",
  metrics: { predict_time: 2 }, webhook: null, webhookEventsFilter: null, deployment: null, deadline: null, instanceId: null,
  streamToken: "t", origin: null, fileOutput: false, ...over,
});

describe("metrics registry", () => {
  it("escapes label values and keeps histograms cumulative", () => {
    const r = new MetricsRegistry();
    r.counter("x_total", "x").inc({ model: 'a"b\\c\nd' }, 2);
    const h = r.histogram("h_seconds", "h", [0.1, 1]);
    h.observe({ m: "a" }, 0.05);
    h.observe({ m: "a" }, 0.5);
    h.observe({ m: "a" }, 5);
    const f = parsePrometheusText(r.render());
    expect(sampleValue(f, "x_total", { model: 'a"b\\c\nd' })).toBe(2);
    expect(sampleValue(f, "h_seconds_bucket", { m: "a", le: "0.1" })).toBe(1);
    expect(sampleValue(f, "h_seconds_bucket", { m: "a", le: "1" })).toBe(2);
    expect(sampleValue(f, "h_seconds_bucket", { m: "a", le: "+Inf" })).toBe(3);
    expect(sampleValue(f, "h_seconds_sum", { m: "a" })).toBeCloseTo(5.55);
  });

  it("counts ended predictions by model and status, with queue wait and predict time", () => {
    const events = new PredictionEvents();
    const m = new ModelhubMetrics({
      events,
      instances: () => [{ state: "ready", model: "o/m" }, { state: "ready", model: "o/m" }, { state: "starting", model: "o/n" }],
      queues: () => [{ model: "o/m", queued: 3 }],
      gpus: () => [],
    });
    events.publish("start", record({ status: "processing" }));
    events.publish("completed", record({}));
    events.publish("completed", record({ id: "p2", status: "failed" }));
    m.bootObserved("o/m", 1500);
    m.webhookDelivered(true);
    m.webhookDelivered(false);
    m.requestAnswered("GET", "/v1/models", 200);
    const f = parsePrometheusText(m.render());
    expect(sampleValue(f, "modelhub_predictions_total", { model: "o/m", status: "succeeded" })).toBe(1);
    expect(sampleValue(f, "modelhub_predictions_total", { model: "o/m", status: "failed" })).toBe(1);
    expect(sampleValue(f, "modelhub_prediction_queue_wait_seconds_bucket", { model: "o/m", le: "0.5" })).toBe(2);
    expect(sampleValue(f, "modelhub_prediction_queue_wait_seconds_bucket", { model: "o/m", le: "0.25" })).toBe(0);
    expect(sampleValue(f, "modelhub_prediction_predict_seconds_sum", { model: "o/m" })).toBe(4);
    expect(sampleValue(f, "modelhub_instance_boot_seconds_count", { model: "o/m" })).toBe(1);
    expect(sampleValue(f, "modelhub_instances", { state: "ready", model: "o/m" })).toBe(2);
    expect(sampleValue(f, "modelhub_queue_depth", { model: "o/m" })).toBe(3);
    expect(sampleValue(f, "modelhub_webhook_deliveries_total", { outcome: "failed" })).toBe(1);
    expect(sampleValue(f, "modelhub_http_requests_total", { method: "GET", route: "/v1/models", status: "200" })).toBe(1);
  });
});

describe("GET /metrics", () => {
  const t = testApp();
  afterAll(() => t.close());
  it("serves the text format, counting requests by route template and status", async () => {
    await t.req("GET", "/v1/models");
    await t.req("GET", "/v1/predictions/nope");
    // Requests are counted once their answer has gone out (Elysia's afterResponse runs just after).
    const f = await until("both requests counted", async () => {
      const res = await t.req("GET", "/metrics");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
      const f = parsePrometheusText(await res.text());
      return sampleValue(f, "modelhub_http_requests_total", { method: "GET", route: "/v1/predictions/:id", status: "404" }) ? f : null;
    }, 5_000, 5);
    expect(sampleValue(f, "modelhub_http_requests_total", { method: "GET", route: "/v1/models", status: "200" })).toBe(1);
    expect(sampleValue(f, "modelhub_http_requests_total", { method: "GET", route: "/v1/predictions/:id", status: "404" })).toBe(1);
    // No GPU memory is made up for simulated or absent GPUs.
    expect(f.get("modelhub_gpu_memory_used_bytes")!.samples).toEqual([]);
  });
});
