// GET /metrics against a live modelhub and a real container: a real prediction moves the counters,
// the boot and queue-wait histograms, and the instances gauge; the text parses strictly.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { dockerTests, startLiveServer, type LiveServer } from "../helpers/live-server.ts";
import { parsePrometheusText, sampleValue } from "../helpers/prometheus-text.ts";
import { until } from "../helpers/until.ts";

describe.skipIf(!dockerTests)("metrics with a real prediction", () => {
  let s: LiveServer;
  beforeAll(async () => {
    s = await startLiveServer();
    await s.addModel("modelhub-test/hello:latest", "metrics/hello");
  }, 60_000);
  afterAll(async () => {
    await s?.[Symbol.asyncDispose]();
  });

  const scrape = async () => parsePrometheusText(await (await fetch(`${s.url}/metrics`)).text());

  it("counts a succeeded prediction, its container's boot and the request that made it", async () => {
    const before = await scrape();
    const model = { model: "metrics/hello" };
    const r = await s.api("POST", "/v1/predictions", { version: "metrics/hello", input: { text: "metrics" } }, { Prefer: "wait" });
    expect(r.body.status).toBe("succeeded");
    const after = await until("the request counted", async () => {
      const f = await scrape();
      return sampleValue(f, "modelhub_http_requests_total", { method: "POST", route: "/v1/predictions", status: "201" }) ? f : null;
    });
    expect(sampleValue(after, "modelhub_predictions_total", { ...model, status: "succeeded" }) - sampleValue(before, "modelhub_predictions_total", { ...model, status: "succeeded" })).toBe(1);
    expect(sampleValue(after, "modelhub_prediction_queue_wait_seconds_count", model)).toBe(1);
    expect(sampleValue(after, "modelhub_prediction_predict_seconds_count", model)).toBe(1);
    // The first prediction started the container: one boot measured, and the instance is up.
    expect(sampleValue(after, "modelhub_instance_boot_seconds_count", model)).toBe(1);
    expect(sampleValue(after, "modelhub_instance_boot_seconds_sum", model)).toBeGreaterThan(0);
    const up = after.get("modelhub_instances")!.samples.filter((x) => x.labels.model === "metrics/hello");
    expect(up.reduce((n, x) => n + x.value, 0)).toBe(1);
  });
});
