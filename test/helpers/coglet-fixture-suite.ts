// The protocol suite of the fixture server's coglet mode (Cog 0.17+ Rust server) and of the
// pydantic-2 switch of its Python-server mode. Run against real containers
// (test/docker/coglet-fixture-images.test.ts) and against plain processes without Docker
// (test/fixture-server/coglet-process.test.ts): each behaviour a manager must handle has an assertion.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { fixtureImageLabels } from "../fixtures/build-images.ts";
import { call, type FixtureHost, type FixtureTarget, type Receiver, startReceiver, waitFor } from "./cog-fixture-host.ts";

const TEST_TIMEOUT_MS = 40_000;
const ASYNC = { prefer: "respond-async" };
const SETUP_NOT_FINISHED = { error: "Setup has not finished yet. Wait until it has finished, or GET /health-check for status.", status: "failed" };
const TERMINAL = ["succeeded", "failed", "canceled"];

async function health(t: FixtureTarget, timeoutMs = 5000): Promise<Record<string, unknown> & { status: string; setup: Record<string, unknown> }> {
  const res = await fetch(`${t.base}/health-check`, { signal: AbortSignal.timeout(timeoutMs) });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown> & { status: string; setup: Record<string, unknown> };
}

const waitStatus = (t: FixtureTarget, status: string, timeoutMs = 15_000) =>
  waitFor(`health ${status}`, async () => ((await health(t)).status === status ? true : undefined), timeoutMs);

/** JSON objects the server wrote to its log stream, one per line. */
async function jsonLogLines(t: FixtureTarget): Promise<{ level: string; target: string; fields: Record<string, unknown> }[]> {
  const out = [];
  for (const line of (await t.logs()).split("\n")) {
    if (!line.startsWith("{")) continue;
    out.push(JSON.parse(line));
  }
  return out;
}

export function cogletFixtureSuite(makeHost: () => FixtureHost, opts: { prepare?: () => Promise<void> } = {}) {
  describe("coglet mode of the fixture server", () => {
    let host: FixtureHost;
    let rx: Receiver;
    const hookBodies = (name: string) => rx.hooks(name).map((r) => r.json ?? {});
    const completed = (name: string) => waitFor(`completed webhook ${name}`, () => hookBodies(name).find((h) => TERMINAL.includes(String(h.status))));

    beforeAll(async () => {
      await opts.prepare?.();
      host = makeHost();
      rx = await startReceiver(host);
    }, 300_000);

    afterAll(async () => {
      await host?.cleanup();
      rx?.stop();
    }, 60_000);

    test("boot: health 200 with version.coglet, STARTING → READY; 503 for predictions and /openapi.json meanwhile", async () => {
      const t = await host.start("coglet-hello", { env: { COG_FIXTURE_SETUP_MS: "2000" } });
      const starting = await waitFor("first health answer", () => health(t));
      expect(starting.status).toBe("STARTING");
      expect(Object.keys(starting.setup)).toEqual(["started_at", "status"]);
      expect(starting.setup.status).toBe("starting");
      expect(starting.version).toMatchObject({ coglet: "0.22.0", python_sdk: "0.22.0" });
      expect(await call(t, "POST", "/predictions", { input: { text: "early" } })).toMatchObject({ status: 503, json: SETUP_NOT_FINISHED });
      expect(await call(t, "GET", "/openapi.json")).toMatchObject({ status: 503, json: { error: "OpenAPI schema not available" } });

      await waitStatus(t, "READY");
      const ready = await health(t);
      expect(ready.setup).toMatchObject({ status: "succeeded", logs: "" });
      expect(typeof ready.setup.completed_at).toBe("string");
      const schema = (await call(t, "GET", "/openapi.json")).json;
      expect(schema).toEqual(JSON.parse(fixtureImageLabels("coglet-hello")["run.cog.openapi_schema"]));
      expect((await call(t, "GET", "/")).json).toMatchObject({ cog_version: "0.22.0", predictions_url: "/predictions" });

      // Sync success: no input echo, no timestamps; coglet invents an id; unknown keys stripped.
      const sync = await call(t, "POST", "/predictions", { input: { text: "world", unknown_key: 1 } });
      expect(sync.status).toBe(200);
      expect(Object.keys(sync.json).sort()).toEqual(["id", "logs", "metrics", "output", "status"]);
      expect(sync.json).toMatchObject({ output: "hello world", status: "succeeded", logs: "" });
      expect(String(sync.json.id)).toMatch(/^pred_[0-9a-f]+$/);
      expect(typeof (sync.json.metrics as { predict_time: number }).predict_time).toBe("number");

      // Strict JSON-Schema validation: no coercion, explicit null rejected.
      expect(await call(t, "POST", "/predictions", { input: { text: 7 } })).toMatchObject({ status: 422, json: { detail: [{ loc: ["body", "input", "text"] }] } });
      expect(await call(t, "POST", "/predictions", { input: {} })).toMatchObject({ status: 422, json: { detail: [{ loc: ["body", "input", "text"] }] } });
      // SSE from a model without @cog.streaming: 406.
      expect((await call(t, "POST", "/predictions", { input: { text: "x" } }, { accept: "text/event-stream" })).status).toBe(406);

      expect(await call(t, "POST", "/shutdown")).toMatchObject({ status: 200, json: {} });
      expect(await t.exitCode()).toBe(0);
    }, TEST_TIMEOUT_MS);

    test("async: 202 {id, status:starting}; webhooks {id,status,logs,output?,error?,metrics}, coglet User-Agent, bearer token, a plain return first sent as output [value]", async () => {
      const t = await host.start("coglet-hello", { env: { COG_FIXTURE_SETUP_MS: "100", WEBHOOK_AUTH_TOKEN: "tok-1" } });
      await waitStatus(t, "READY");
      const res = await call(t, "POST", "/predictions", { id: "a1", input: { text: "b" }, webhook: `${rx.base}/hooks/async` }, ASYNC);
      expect(res).toMatchObject({ status: 202 });
      expect(res.json).toEqual({ id: "a1", status: "starting" });
      const done = await completed("async");
      expect(done).toEqual({ id: "a1", status: "succeeded", logs: "", output: "hello b", metrics: { predict_time: expect.any(Number) } });
      await waitFor("output webhook", () => hookBodies("async").find((h) => Array.isArray(h.output)));
      const all = hookBodies("async");
      expect(all.find((h) => h.status === "processing" && h.output === undefined)).toEqual({ id: "a1", status: "processing", logs: "", metrics: {} });
      expect(all.find((h) => Array.isArray(h.output))).toMatchObject({ id: "a1", output: ["hello b"] });
      for (const h of all) expect(h.input).toBeUndefined();
      for (const r of rx.hooks("async")) {
        expect(r.headers["user-agent"]).toBe("coglet/0.22.0");
        expect(r.headers.authorization).toBe("Bearer tok-1");
      }
    }, TEST_TIMEOUT_MS);

    test("webhooks: each sent from its own task (a slow start does not hold back completed); completed retried with backoff", async () => {
      const t = await host.start("coglet-hello", { env: { COG_FIXTURE_SETUP_MS: "100" } });
      await waitStatus(t, "READY");
      rx.delay("/hooks/unordered", 2000);
      expect((await call(t, "POST", "/predictions", { input: { text: "u" }, webhook: `${rx.base}/hooks/unordered` }, ASYNC)).status).toBe(202);
      await waitFor("all three webhooks", () => (rx.hooks("unordered").length >= 3 ? true : undefined));
      // All three arrived while the first was still being answered: no ordering chain.
      expect(rx.hooks("unordered").filter((r) => !r.answered).length).toBeGreaterThanOrEqual(2);

      rx.script("/hooks/retry", [503, 500]);
      const body = { input: { text: "r" }, webhook: `${rx.base}/hooks/retry`, webhook_events_filter: ["completed"] };
      expect((await call(t, "POST", "/predictions", body, ASYNC)).status).toBe(202);
      await waitFor("third delivery", () => (rx.hooks("retry").length >= 3 ? true : undefined));
      const tries = hookBodies("retry");
      expect(tries.map((h) => h.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
      expect(tries[0]).toEqual(tries[2]);
    }, TEST_TIMEOUT_MS);

    test("sync failure: 200 status failed, logs empty; the traceback only in the JSON log stream", async () => {
      const t = await host.start("coglet-slow", { env: { COG_FIXTURE_SETUP_MS: "100" } });
      await waitStatus(t, "READY");
      const failed = await call(t, "POST", "/predictions", { input: { seconds: 0.3, fail: true } });
      expect(failed.status).toBe(200);
      expect(failed.json).toMatchObject({ status: "failed", error: "slow model was asked to fail", logs: "" });
      expect(failed.json.output).toBeUndefined();
      const lines = await waitFor("traceback log line", async () => {
        const l = await jsonLogLines(t);
        return l.some((x) => String(x.fields.message).includes("Traceback (most recent call last):")) ? l : undefined;
      });
      expect(lines.some((x) => x.level === "INFO" && String(x.fields.message).startsWith("progress "))).toBe(true);

      // The async path keeps what the model printed in the completed webhook.
      await call(t, "POST", "/predictions", { input: { seconds: 0.3, fail: true }, webhook: `${rx.base}/hooks/fail` }, ASYNC);
      const done = await completed("fail");
      expect(done).toMatchObject({ status: "failed", error: "slow model was asked to fail" });
      expect(String(done.logs)).toContain("progress");
    }, TEST_TIMEOUT_MS);

    test("slots: 409 over the slot, BUSY, idempotent PUT → snapshot + input, cancel 200 {} / 404 {}, cancel works on sync", async () => {
      const t = await host.start("coglet-slow", { env: { COG_FIXTURE_SETUP_MS: "100" } });
      await waitStatus(t, "READY");
      const created = await call(t, "PUT", "/predictions/s-1", { input: { seconds: 30 }, webhook: `${rx.base}/hooks/slots` }, ASYNC);
      expect(created).toMatchObject({ status: 202, json: { id: "s-1", status: "starting" } });
      const again = await call(t, "PUT", "/predictions/s-1", { input: { seconds: 30 } }, ASYNC);
      expect(again.status).toBe(202);
      expect(again.json).toMatchObject({ id: "s-1", status: "processing", input: { seconds: 30, fail: false, ignore_cancel: false } });
      expect(await call(t, "POST", "/predictions", { input: { seconds: 1 } })).toMatchObject({
        status: 409, json: { error: "At capacity - all prediction slots busy", status: "failed" },
      });
      expect((await health(t)).status).toBe("BUSY");
      expect(await call(t, "POST", "/predictions/nope/cancel")).toMatchObject({ status: 404, json: {} });
      expect(await call(t, "POST", "/predictions/s-1/cancel")).toMatchObject({ status: 200, json: {} });
      expect(await completed("slots")).toMatchObject({ id: "s-1", status: "canceled" });
      await waitStatus(t, "READY");

      // A sync prediction (with an id) can be canceled from another connection.
      const sync = call(t, "POST", "/predictions", { id: "sync-1", input: { seconds: 30 } });
      await waitFor("sync prediction running", async () => ((await health(t)).status === "BUSY" ? true : undefined));
      expect(await call(t, "POST", "/predictions/sync-1/cancel")).toMatchObject({ status: 200, json: {} });
      expect(await sync).toMatchObject({ status: 200, json: { id: "sync-1", status: "canceled" } });
      await waitStatus(t, "READY");

      // A sync client that goes away cancels its prediction: the slot frees long before 30 s.
      const gone = await call(t, "POST", "/predictions", { input: { seconds: 30 } }, {}, 1500).then(
        () => "answered",
        () => "aborted",
      );
      expect(gone).toBe("aborted");
      await waitStatus(t, "READY", 10_000);
    }, TEST_TIMEOUT_MS);

    test("concurrency: COG_MAX_CONCURRENCY=4 gives four slots, the fifth is a 409", async () => {
      const t = await host.start("coglet-concurrent", { env: { COG_FIXTURE_SETUP_MS: "100" } });
      await waitStatus(t, "READY");
      for (const i of [1, 2, 3, 4]) {
        expect(await call(t, "PUT", `/predictions/c-${i}`, { input: { seconds: 30 } }, ASYNC)).toMatchObject({ status: 202, json: { status: "starting" } });
        if (i < 4) expect((await health(t)).status).toBe("READY");
      }
      expect((await health(t)).status).toBe("BUSY");
      expect(await call(t, "POST", "/predictions", { input: { seconds: 1 } }, ASYNC)).toMatchObject({ status: 409, json: { error: "At capacity - all prediction slots busy" } });
      for (const i of [1, 2, 3, 4]) expect((await call(t, "POST", `/predictions/c-${i}/cancel`)).status).toBe(200);
      await waitStatus(t, "READY");
    }, TEST_TIMEOUT_MS);

    test("logs webhooks throttled by COG_THROTTLE_RESPONSE_INTERVAL (dropped updates not resent); output webhooks never throttled", async () => {
      const slow = await host.start("coglet-slow", { env: { COG_FIXTURE_SETUP_MS: "100", COG_THROTTLE_RESPONSE_INTERVAL: "0.6" } });
      const stream = await host.start("coglet-stream", { env: { COG_FIXTURE_SETUP_MS: "100", COG_THROTTLE_RESPONSE_INTERVAL: "5", COG_FIXTURE_TOKEN_MS: "30" } });
      await Promise.all([waitStatus(slow, "READY"), waitStatus(stream, "READY")]);

      await call(slow, "POST", "/predictions", { input: { seconds: 2 }, webhook: `${rx.base}/hooks/throttle`, webhook_events_filter: ["logs", "completed"] }, ASYNC);
      const done = await completed("throttle");
      const progressLines = String(done.logs).split("\n").filter((l) => l.startsWith("progress"));
      const logHooks = hookBodies("throttle").filter((h) => h.status === "processing");
      expect(progressLines.length).toBeGreaterThanOrEqual(10);
      expect(logHooks.length).toBeGreaterThan(0);
      expect(logHooks.length).toBeLessThan(progressLines.length);
      for (const h of logHooks) expect(String(done.logs).startsWith(String(h.logs))).toBe(true);

      await call(stream, "POST", "/predictions", { input: { prompt: "a b c", count: 6 }, webhook: `${rx.base}/hooks/tokens`, webhook_events_filter: ["output", "completed"] }, ASYNC);
      const end = await completed("tokens");
      expect(end.output).toEqual(["a", " b", " c", " a", " b", " c"]);
      await waitFor("six output webhooks", () => (hookBodies("tokens").filter((h) => h.status === "processing").length >= 6 ? true : undefined));
      const lengths = hookBodies("tokens").filter((h) => h.status === "processing").map((h) => (h.output as string[]).length).sort();
      expect(lengths).toEqual([1, 2, 3, 4, 5, 6]);
    }, TEST_TIMEOUT_MS);

    test("stream: SSE events for a @cog.streaming model (x-cog-streaming in its schema)", async () => {
      const t = await host.start("coglet-stream", { env: { COG_FIXTURE_SETUP_MS: "100", COG_FIXTURE_TOKEN_MS: "20" } });
      await waitStatus(t, "READY");
      const res = await fetch(`${t.base}/predictions`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({ id: "sse-1", input: { prompt: "x y", count: 3 } }),
        signal: AbortSignal.timeout(10_000),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      const events = (await res.text()).split("\n\n").filter((b) => b.startsWith("event:")).map((b) => {
        const [ev, data] = b.split("\n");
        return { event: ev.slice("event: ".length), data: JSON.parse(data.slice("data: ".length)) };
      });
      expect(events[0]).toEqual({ event: "start", data: { id: "sse-1", status: "processing" } });
      expect(events.filter((e) => e.event === "output").map((e) => e.data)).toEqual([{ chunk: "x", index: 0 }, { chunk: " y", index: 1 }, { chunk: " x", index: 2 }]);
      expect(events.some((e) => e.event === "log")).toBe(true);
      expect(events.at(-1)).toMatchObject({ event: "completed", data: { id: "sse-1", status: "succeeded", output: ["x", " y", " x"] } });
      const schema = JSON.parse(fixtureImageLabels("coglet-stream")["run.cog.openapi_schema"]);
      expect(schema.paths["/predictions"].post["x-cog-streaming"]).toBe(true);
    }, TEST_TIMEOUT_MS);

    test("uploads with --upload-url: sync and async, list items in completion order, no X-Prediction-ID", async () => {
      const t = await host.start("coglet-files", { env: { COG_FIXTURE_SETUP_MS: "100" }, args: ["python", "-m", "cog.server.http", "--upload-url", `${rx.base}/uploads/`] });
      await waitStatus(t, "READY");
      const sync = await call(t, "POST", "/predictions", { input: { count: 3 } });
      expect(sync.json).toMatchObject({ status: "succeeded" });
      // The model returned out-0, out-1, out-2; the uploads finished last-first.
      expect(sync.json.output).toEqual([2, 1, 0].map((i) => `${rx.base}/files/uploads/out-${i}.txt`));
      const puts = rx.received.filter((r) => r.method === "PUT");
      expect(puts.map((p) => p.path).sort()).toEqual(["/uploads/out-0.txt", "/uploads/out-1.txt", "/uploads/out-2.txt"]);
      for (const p of puts) {
        expect(p.headers["x-prediction-id"]).toBeUndefined();
        expect(p.headers["content-type"]).toBe("text/plain");
        expect(p.headers["user-agent"]).toBe("coglet/0.22.0");
      }
      expect(new TextDecoder().decode(puts.find((p) => p.path === "/uploads/out-1.txt")?.body)).toBe("file 1 of 3\n");

      await call(t, "POST", "/predictions", { input: { count: 2 }, webhook: `${rx.base}/hooks/files` }, ASYNC);
      const done = await completed("files");
      expect(done).toMatchObject({ status: "succeeded", output: [1, 0].map((i) => `${rx.base}/files/uploads/out-${i}.txt`) });
      expect(rx.received.filter((r) => r.method === "PUT").length).toBe(5);
    }, TEST_TIMEOUT_MS);

    test("uploads: a failed upload drops that item silently and the prediction still succeeds (knob and real HTTP failure)", async () => {
      const dropping = await host.start("coglet-files-drop", { env: { COG_FIXTURE_SETUP_MS: "100" }, args: ["--upload-url", `${rx.base}/drop/`] });
      const plain = await host.start("coglet-files", { env: { COG_FIXTURE_SETUP_MS: "100", COG_FIXTURE_UPLOAD_DELAY_MS: "0" }, args: ["--upload-url", `${rx.base}/refused/`] });
      await Promise.all([waitStatus(dropping, "READY"), waitStatus(plain, "READY")]);
      const knob = await call(dropping, "POST", "/predictions", { input: { count: 3 } });
      expect(knob.json).toMatchObject({ status: "succeeded" });
      expect((knob.json.output as string[]).sort()).toEqual([`${rx.base}/files/drop/out-0.txt`, `${rx.base}/files/drop/out-2.txt`]);

      rx.script("/refused/out-0.txt", [500]);
      const real = await call(plain, "POST", "/predictions", { input: { count: 2 } });
      expect(real.json).toMatchObject({ status: "succeeded", output: [`${rx.base}/files/refused/out-1.txt`] });
      // No retry: the refused file was tried once.
      expect(rx.received.filter((r) => r.path === "/refused/out-0.txt").length).toBe(1);
      expect((await jsonLogLines(plain)).some((l) => l.level === "ERROR" && String(l.fields.message).includes("dropping it"))).toBe(true);

      // Without --upload-url, files are data URLs in the model's order.
      const inline = await host.start("coglet-files", { env: { COG_FIXTURE_SETUP_MS: "100" } });
      await waitStatus(inline, "READY");
      const out = (await call(inline, "POST", "/predictions", { input: { count: 2 } })).json.output as string[];
      expect(out.map((u) => Buffer.from(u.split(",")[1], "base64").toString())).toEqual(["file 0 of 2\n", "file 1 of 2\n"]);
    }, TEST_TIMEOUT_MS);

    test("typed inputs: explicit null for a nullable input is a 422, leaving it out works; static-generator schema", async () => {
      const t = await host.start("coglet-image", { env: { COG_FIXTURE_SETUP_MS: "100" } });
      await waitStatus(t, "READY");
      expect(await call(t, "POST", "/predictions", { input: { seed: null } })).toMatchObject({ status: 422, json: { detail: [{ loc: ["body", "input", "seed"] }] } });
      expect((await call(t, "POST", "/predictions", { input: { height: "32" } })).status).toBe(422);
      const ok = await call(t, "POST", "/predictions", { input: { height: 16, tag: 3 } });
      expect(ok.json).toMatchObject({ status: "succeeded" });
      expect(String(ok.json.output)).toStartWith("data:image/png;base64,");
      expect(String(ok.json.logs)).toContain("tag: 3");

      const labels = fixtureImageLabels("coglet-image");
      expect(labels["run.cog.version"]).toBe("0.22.0");
      const schema = JSON.parse(labels["run.cog.openapi_schema"]);
      expect(schema.openapi).toBe("3.0.2");
      expect(schema.info.version).toBe("0.22.0");
      const p = schema.components.schemas.Input.properties;
      expect(p.seed).toMatchObject({ type: "integer", nullable: true, default: null });
      expect(p.tag.anyOf).toEqual([{ type: "string" }, { type: "integer" }]);
      expect(p.init_image).toMatchObject({ type: "string", format: "uri", nullable: true, "x-cog-accept": "image/*" });
      expect(p.api_key).toMatchObject({ format: "password", "x-cog-secret": true, nullable: true });
      expect(schema.components.schemas.Input.required).toBeUndefined();
      expect(schema.paths["/predictions/{prediction_id}"]).toBeUndefined();
      const stream = JSON.parse(fixtureImageLabels("coglet-stream")["run.cog.openapi_schema"]).components.schemas.Output;
      expect(stream).toMatchObject({ "x-cog-array-type": "iterator", "x-cog-array-display": "concatenate" });
      expect(JSON.parse(fixtureImageLabels("coglet-concurrent")["run.cog.config"]).concurrency).toEqual({ max: 4 });
    }, TEST_TIMEOUT_MS);

    test("failed setup: stays up, SETUP_FAILED, setup.logs only the error string, setup() output as JSON log lines, 503s", async () => {
      const t = await host.start("coglet-bad-setup", { env: { COG_FIXTURE_SETUP_MS: "100" } });
      await waitStatus(t, "SETUP_FAILED");
      const h = await health(t);
      expect(h.setup).toMatchObject({ status: "failed", logs: "weights file /src/weights/model.safetensors is missing" });
      expect(h.version).toMatchObject({ coglet: "0.22.0" });
      expect(await call(t, "POST", "/predictions", { input: { text: "x" } })).toMatchObject({ status: 503, json: SETUP_NOT_FINISHED });
      expect((await call(t, "GET", "/openapi.json")).status).toBe(503);
      const lines = await jsonLogLines(t);
      expect(lines.find((l) => l.fields.message === "loading weights from /src/weights")).toMatchObject({ level: "INFO", fields: { source: "stdout" } });
      await Bun.sleep(500);
      expect(await t.running()).toBe(true);
      expect((await health(t)).status).toBe("SETUP_FAILED");

      // COG_SETUP_TIMEOUT: a setup running past it is a setup failure too.
      const late = await host.start("coglet-hello", { env: { COG_FIXTURE_SETUP_MS: "5000", COG_SETUP_TIMEOUT: "0.5" } });
      await waitStatus(late, "SETUP_FAILED");
      expect((await health(late)).setup).toMatchObject({ status: "failed", logs: "Setup timed out after 0.5s" });
    }, TEST_TIMEOUT_MS);

    test("worker crash: in-flight predictions fail 'Worker crashed', health UNHEALTHY, the server stays up", async () => {
      const t = await host.start("coglet-crash", { env: { COG_FIXTURE_SETUP_MS: "100", COG_MAX_CONCURRENCY: "2", COG_FIXTURE_CRASH_AFTER_MS: "700" } });
      await waitStatus(t, "READY");
      const asyncRes = await call(t, "POST", "/predictions", { input: { text: "a" }, webhook: `${rx.base}/hooks/crash` }, ASYNC);
      expect(asyncRes.status).toBe(202);
      const sync = await call(t, "POST", "/predictions", { input: { text: "boom" } });
      expect(sync).toMatchObject({ status: 200, json: { status: "failed", error: "Worker crashed" } });
      expect(await completed("crash")).toMatchObject({ status: "failed", error: "Worker crashed" });
      expect((await health(t)).status).toBe("UNHEALTHY");
      expect(await t.running()).toBe(true);
      expect((await call(t, "POST", "/predictions", { input: { text: "again" } })).status).toBe(503);
      expect((await jsonLogLines(t)).some((l) => String(l.fields.message).includes("worker exited unexpectedly (exit code 137)"))).toBe(true);
    }, TEST_TIMEOUT_MS);

    test("user healthcheck: slow once READY (a 1 s probe times out, a patient one gets READY); a failing one → UNHEALTHY", async () => {
      const t = await host.start("coglet-slow-health", { env: { COG_FIXTURE_SETUP_MS: "1500" } });
      expect((await waitFor("health while starting", () => health(t, 1000))).status).toBe("STARTING");
      await waitFor("setup done", async () => ((await fetch(`${t.base}/openapi.json`)).status === 200 ? true : undefined));
      const quick = await fetch(`${t.base}/health-check`, { signal: AbortSignal.timeout(1000) }).then(
        () => "answered",
        () => "timed out",
      );
      expect(quick).toBe("timed out");
      expect((await health(t, 15_000)).status).toBe("READY");

      const sick = await host.start("coglet-hello", { env: { COG_FIXTURE_SETUP_MS: "100", COG_FIXTURE_HEALTHCHECK_ERROR: "GPU lost" } });
      await waitStatus(sick, "UNHEALTHY");
      expect((await health(sick)).user_healthcheck_error).toBe("GPU lost");
    }, TEST_TIMEOUT_MS);

    test("SIGTERM is graceful: a running sync prediction finishes, then exit 0", async () => {
      const t = await host.start("coglet-slow", { env: { COG_FIXTURE_SETUP_MS: "100" } });
      await waitStatus(t, "READY");
      const sync = call(t, "POST", "/predictions", { input: { seconds: 1.5 } });
      await waitFor("busy", async () => ((await health(t)).status === "BUSY" ? true : undefined));
      await t.signal("SIGTERM");
      expect(await sync).toMatchObject({ status: 200, json: { status: "succeeded", output: "finished after 1.5 seconds" } });
      expect(await t.exitCode()).toBe(0);
    }, TEST_TIMEOUT_MS);
  });

  describe("Python-server mode with the pydantic-2 switch (Cog 0.15.5)", () => {
    let host: FixtureHost;
    let rx: Receiver;

    beforeAll(async () => {
      host = makeHost();
      rx = await startReceiver(host);
    });

    afterAll(async () => {
      await host?.cleanup();
      rx?.stop();
    }, 60_000);

    test("sync predict leaving out `init_image: Path = Input(default=None)` answers 500; with it, or async, it works", async () => {
      const t = await host.start("pydantic2-image", { env: { COG_FIXTURE_SETUP_MS: "100" } });
      await waitStatus(t, "READY");
      expect(await call(t, "POST", "/predictions", { input: { height: 16 } })).toMatchObject({ status: 500, text: "Internal Server Error" });
      const pixel = `data:image/png;base64,${Buffer.from("not really a png").toString("base64")}`;
      const withFile = await call(t, "POST", "/predictions", { input: { height: 16, init_image: pixel } });
      expect(withFile).toMatchObject({ status: 200, json: { status: "succeeded", input: { init_image: pixel } } });
      const res = await call(t, "PUT", "/predictions/p2-1", { input: { height: 16 }, webhook: `${rx.base}/hooks/p2` }, ASYNC);
      // Python-server answers stay 0.13-style: the full object with status processing.
      expect(res).toMatchObject({ status: 202, json: { id: "p2-1", status: "processing", input: { init_image: null } } });
      const done = await waitFor("completed", () => rx.hooks("p2").map((r) => r.json ?? {}).find((h) => h.status === "succeeded"));
      expect(String(done.output)).toStartWith("data:image/png;base64,");
      expect((await call(t, "GET", "/")).json.cog_version).toBe("0.15.5");
      expect(fixtureImageLabels("pydantic2-image")["run.cog.version"]).toBe("0.15.5");
      // Without the switch the same request succeeds (the 0.13 image).
      const plain = await host.start("image", { env: { COG_FIXTURE_SETUP_MS: "100" } });
      await waitStatus(plain, "READY");
      expect(await call(plain, "POST", "/predictions", { input: { height: 16 } })).toMatchObject({ status: 200, json: { status: "succeeded" } });
    }, TEST_TIMEOUT_MS);

    test("setup failure still exits 255 (0.9.16+ style)", async () => {
      const t = await host.start("bad-setup", { env: { COG_FIXTURE_SETUP_MS: "100" } });
      expect(await t.exitCode()).toBe(255);
    }, TEST_TIMEOUT_MS);
  });
}
