// Docker test of the Cog-compatible fixture images (test/fixtures/build-images.ts).
//
// What it proves: the modelhub-test/* images carry the labels `cog build` writes and run a server
// that behaves like Cog's Python server (0.13–0.16) from the outside — health STARTING → READY/BUSY,
// 409 while busy or in setup, sync and async predictions, webhooks (filter, throttle-dropped
// iterator snapshots, terminal retry), idempotent PUT, cancel → "canceled", pydantic-1 style 422s,
// --upload-url PUTs, setup failure exiting 255 (or staying up with --await-explicit-shutdown),
// a crash killing the container mid-prediction, SIGTERM and POST /shutdown exits.
// Other tests can then trust these images as stand-ins for real Cog models.
//
// Runs only with MODELHUB_TEST_DOCKER=1. Ports are published on 127.0.0.1 only; containers reach
// the local webhook/upload receiver through the Docker bridge gateway (host.docker.internal).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ensureFixtureImages, type FixtureImages } from "../fixtures/build-images.ts";

const TEST_LABEL = "modelhub.test=fixture-images";
/** Per test; bun's default (5 s) is too short for container start + setup + exits. */
const TEST_TIMEOUT_MS = 30_000;

interface Container {
  id: string;
  base: string;
}

interface Received {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Uint8Array;
  json?: Record<string, unknown>;
}

async function sh(cmd: string[], timeoutMs = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", timeout: timeoutMs });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

async function mustSh(cmd: string[], timeoutMs?: number): Promise<string> {
  const r = await sh(cmd, timeoutMs);
  if (r.code !== 0) throw new Error(`${cmd.join(" ")} → exit ${r.code}: ${r.stderr}`);
  return r.stdout.trim();
}

/** The bridge gateway: the host as seen from containers. */
async function bridgeGateway(): Promise<string> {
  const ipam = JSON.parse(await mustSh(["docker", "network", "inspect", "bridge", "--format", "{{json .IPAM.Config}}"])) as {
    Gateway?: string;
    Subnet?: string;
  }[];
  let gateway = ipam.find((c) => c.Gateway)?.Gateway;
  if (!gateway) {
    // Some engines omit Gateway from IPAM; the default bridge takes the subnet's first address.
    const subnet = ipam.find((c) => c.Subnet && !c.Subnet.includes(":"))?.Subnet;
    if (!subnet) throw new Error("bridge network has no IPv4 subnet");
    const octets = subnet.split("/")[0].split(".").map(Number);
    octets[3] += 1;
    gateway = octets.join(".");
  }
  // No interface check here (os.networkInterfaces() hides docker0 while no container runs):
  // binding the receiver to this address fails unless it is one of ours.
  return gateway;
}

const started: string[] = [];

async function startContainer(image: string, opts: { env?: Record<string, string>; args?: string[] } = {}): Promise<Container> {
  const env = Object.entries(opts.env ?? {}).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  const id = await mustSh([
    "docker", "run", "-d", "--label", TEST_LABEL, "-p", "127.0.0.1::5000",
    "--add-host", "host.docker.internal:host-gateway", ...env, image, ...(opts.args ?? []),
  ]);
  started.push(id);
  const mapping = await mustSh(["docker", "port", id, "5000/tcp"]);
  const port = /127\.0\.0\.1:(\d+)/.exec(mapping)?.[1];
  if (!port) throw new Error(`no 127.0.0.1 port mapping: ${mapping}`);
  return { id, base: `http://127.0.0.1:${port}` };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {
      // Connection refused while the container boots: keep polling.
    }
    await Bun.sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function health(c: Container): Promise<{ status: string; setup: Record<string, unknown> }> {
  const res = await fetch(`${c.base}/health-check`, { signal: AbortSignal.timeout(1000) });
  return (await res.json()) as { status: string; setup: Record<string, unknown> };
}

const waitStatus = (c: Container, status: string, timeoutMs = 10_000) =>
  waitFor(`health ${status}`, async () => ((await health(c)).status === status ? true : undefined), timeoutMs);

async function call(c: Container, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${c.base}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Plain-text answers (500) are checked through `text`.
  }
  return { status: res.status, json, text };
}

const ASYNC = { prefer: "respond-async" };

async function exitCode(id: string, timeoutMs = 15_000): Promise<number> {
  return Number(await mustSh(["docker", "wait", id], timeoutMs));
}

async function dockerLogs(id: string): Promise<string> {
  const r = await sh(["docker", "logs", id]);
  return r.stdout + r.stderr;
}

describe.skipIf(!process.env.MODELHUB_TEST_DOCKER)("Cog fixture images", () => {
  let images: FixtureImages;
  let gateway: string;
  let receiver: ReturnType<typeof Bun.serve>;
  let receiverBase: string;
  const received: Received[] = [];
  /** Status codes the receiver answers per path, consumed in order (then 200). */
  const scripted = new Map<string, number[]>();
  let slow: Container;
  let stream: Container;
  let image: Container;
  let crash: Container;

  const hooks = (name: string) => received.filter((r) => r.path === `/hooks/${name}`).map((r) => r.json ?? {});
  const completedHook = (name: string) =>
    waitFor(`completed webhook ${name}`, () => hooks(name).find((h) => ["succeeded", "failed", "canceled"].includes(String(h.status))));

  beforeAll(async () => {
    images = await ensureFixtureImages();
    gateway = await bridgeGateway();
    receiver = Bun.serve({
      hostname: gateway,
      port: 0,
      async fetch(req) {
        const url = new URL(req.url);
        const body = new Uint8Array(await req.arrayBuffer());
        const rec: Received = { method: req.method, path: url.pathname, headers: Object.fromEntries(req.headers), body };
        if ((req.headers.get("content-type") ?? "").includes("json")) rec.json = JSON.parse(new TextDecoder().decode(body));
        received.push(rec);
        const queue = scripted.get(url.pathname);
        const status = queue?.shift() ?? (req.method === "PUT" ? 201 : 200);
        if (req.method === "PUT" && status < 300) {
          // Like a signed-URL store: the public address comes back in Location, with a query to strip.
          return new Response(null, { status, headers: { location: `http://${gateway}:${receiver.port}/files${url.pathname}?sig=abc123` } });
        }
        return new Response(status < 300 ? "" : "try again", { status });
      },
    });
    receiverBase = `http://${gateway}:${receiver.port}`;
    [slow, stream, image, crash] = await Promise.all([
      startContainer(images.slow),
      startContainer(images.stream, { env: { COG_THROTTLE_RESPONSE_INTERVAL: "0.1" } }),
      // The launcher form of the real image CMD must work as well as bare flags.
      startContainer(images.image, { args: ["python", "-m", "cog.server.http", "--upload-url", `http://host.docker.internal:${receiver.port}/uploads/img`] }),
      startContainer(images.crash),
    ]);
  }, 120_000); // a first build of the images happens here when they are missing

  afterAll(async () => {
    if (started.length > 0) await sh(["docker", "rm", "-f", ...started]);
    receiver?.stop(true);
  }, TEST_TIMEOUT_MS);

  test("images carry the labels cog build writes; not-cog carries none", async () => {
    const labelsOf = async (img: string) =>
      JSON.parse(await mustSh(["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", img])) as Record<string, string> | null;
    for (const name of ["hello", "image", "stream", "slow", "bad-setup", "crash", "gpu-hello"] as const) {
      const labels = (await labelsOf(images[name])) ?? {};
      expect(labels["run.cog.version"]).toBe("0.13.6");
      expect(labels["run.cog.has_init"]).toBe("true");
      const config = JSON.parse(labels["run.cog.config"]) as { build: { gpu: boolean }; predict: string };
      expect(config.predict).toBe("predict.py:Predictor");
      expect(config.build.gpu).toBe(name === "gpu-hello");
      const schema = JSON.parse(labels["run.cog.openapi_schema"]) as { components: { schemas: Record<string, Record<string, unknown>> } };
      expect(schema.components.schemas.Input.title).toBe("Input");
      expect(schema.components.schemas.Output.title).toBe("Output");
    }
    const notCog = (await labelsOf(images["not-cog"])) ?? {};
    expect(Object.keys(notCog).filter((k) => k.startsWith("run.cog.") || k.startsWith("org.cogmodel."))).toEqual([]);

    const imageSchema = JSON.parse(((await labelsOf(images.image)) ?? {})["run.cog.openapi_schema"]);
    const s = imageSchema.components.schemas;
    expect(s.Input.properties.width).toEqual({ allOf: [{ $ref: "#/components/schemas/width" }], description: "Output width in pixels", default: 256, "x-order": 1 });
    expect(s.width).toEqual({ title: "width", enum: [256, 512, 768, 1024], type: "integer", description: "An enumeration." });
    expect(s.Input.properties.api_key).toMatchObject({ type: "string", format: "password", "x-cog-secret": true });
    expect(s.Input.properties.init_image).toMatchObject({ type: "string", format: "uri" });
    expect(s.Output).toEqual({ title: "Output", type: "string", format: "uri" });
    const streamSchema = JSON.parse(((await labelsOf(images.stream)) ?? {})["run.cog.openapi_schema"]);
    expect(streamSchema.components.schemas.Output).toEqual({
      title: "Output", type: "array", items: { type: "string" }, "x-cog-array-display": "concatenate", "x-cog-array-type": "iterator",
    });
  }, TEST_TIMEOUT_MS);

  test("hello: STARTING → READY, 409 during setup, discovery, sync prediction, coercion, 422s, SIGTERM", async () => {
    const hello = await startContainer(images.hello, { env: { COG_FIXTURE_SETUP_MS: "1500" } });
    const starting = await waitFor("first health answer", () => health(hello));
    expect(starting).toEqual({ status: "STARTING", setup: {} });
    expect(await call(hello, "POST", "/predictions", { input: { text: "early" } })).toMatchObject({ status: 409, json: { detail: "Already running a prediction" } });
    // Input validation happens before the busy check, as in FastAPI.
    expect((await call(hello, "POST", "/predictions", { input: {} })).status).toBe(422);

    await waitStatus(hello, "READY");
    const ready = await health(hello);
    expect(Object.keys(ready.setup)).toEqual(["started_at", "completed_at", "logs", "status"]);
    expect(ready.setup).toMatchObject({ logs: "", status: "succeeded" });
    expect(String(ready.setup.started_at)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);

    const root = await call(hello, "GET", "/");
    expect(root.json).toEqual({
      cog_version: "0.13.6", docs_url: "/docs", openapi_url: "/openapi.json", shutdown_url: "/shutdown", healthcheck_url: "/health-check",
      predictions_url: "/predictions", predictions_idempotent_url: "/predictions/{prediction_id}", predictions_cancel_url: "/predictions/{prediction_id}/cancel",
    });
    const label = await mustSh(["docker", "image", "inspect", "--format", '{{index .Config.Labels "run.cog.openapi_schema"}}', images.hello]);
    expect((await call(hello, "GET", "/openapi.json")).json).toEqual(JSON.parse(label));

    const sync = await call(hello, "POST", "/predictions", { input: { text: "world", unknown_key: 1 } });
    expect(sync.status).toBe(200);
    expect(Object.keys(sync.json)).toEqual(["input", "output", "id", "version", "created_at", "started_at", "completed_at", "logs", "error", "status", "metrics"]);
    expect(sync.json).toMatchObject({ input: { text: "world" }, output: "hello world", id: null, status: "succeeded", error: null, logs: "" });
    expect(typeof (sync.json.metrics as { predict_time: number }).predict_time).toBe("number");

    // pydantic 1 coerces numbers to str.
    expect((await call(hello, "POST", "/predictions", { input: { text: 7 } })).json).toMatchObject({ input: { text: "7" }, output: "hello 7" });
    expect(await call(hello, "POST", "/predictions", { input: {} })).toMatchObject({
      status: 422, json: { detail: [{ loc: ["body", "input", "text"], msg: "field required", type: "value_error.missing" }] },
    });
    expect(await call(hello, "PUT", "/predictions/abc", { id: "xyz", input: { text: "a" } })).toMatchObject({
      status: 422, json: { detail: [{ loc: ["body", "id"], msg: "prediction ID must match the ID supplied in the URL", type: "value_error" }] },
    });

    // webhook_events_filter is honoured: only the terminal webhook.
    const filtered = await call(hello, "POST", "/predictions", { input: { text: "f" }, webhook: `${receiverBase}/hooks/filtered`, webhook_events_filter: ["completed"] }, ASYNC);
    expect(filtered.status).toBe(202);
    await completedHook("filtered");
    await Bun.sleep(200);
    expect(hooks("filtered").map((h) => h.status)).toEqual(["succeeded"]);

    // A terminal webhook answered 503 is retried (filter: the first webhook is the terminal one).
    scripted.set("/hooks/retry", [503]);
    await waitStatus(hello, "READY");
    const retry = { input: { text: "r" }, webhook: `${receiverBase}/hooks/retry`, webhook_events_filter: ["completed"] };
    expect((await call(hello, "POST", "/predictions", retry, ASYNC)).status).toBe(202);
    await waitFor("retried webhook", () => (hooks("retry").length >= 2 ? true : undefined));
    const retried = hooks("retry");
    expect(retried[0]).toEqual(retried[1]);
    expect(retried[1]).toMatchObject({ status: "succeeded", output: "hello r", input: { text: "r" }, id: null, created_at: null, logs: "" });
    // Webhooks carry only the fields that were set (pydantic exclude_unset): no version, no error.
    expect(Object.keys(retried[1])).toEqual(["input", "output", "id", "created_at", "started_at", "completed_at", "logs", "status", "metrics"]);

    const t0 = performance.now();
    await mustSh(["docker", "stop", "-t", "10", hello.id]);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(await exitCode(hello.id)).toBe(0);
  }, TEST_TIMEOUT_MS);

  test("slow: async PUT, idempotent re-PUT, 409 + BUSY, cancel → canceled; failure path", async () => {
    await waitStatus(slow, "READY");
    const hook = `${receiverBase}/hooks/slow`;
    const created = await call(slow, "PUT", "/predictions/slow-1", { input: { seconds: 30 }, webhook: hook }, ASYNC);
    expect(created.status).toBe(202);
    expect(created.json).toMatchObject({ id: "slow-1", status: "processing", input: { seconds: 30, fail: false }, output: null, version: null });
    const again = await call(slow, "PUT", "/predictions/slow-1", { input: { seconds: 30 }, webhook: hook }, ASYNC);
    expect(again).toMatchObject({ status: 202, json: { id: "slow-1", status: "processing" } });
    expect(await call(slow, "POST", "/predictions", { input: { seconds: 1 } })).toMatchObject({ status: 409, json: { detail: "Already running a prediction" } });
    expect((await health(slow)).status).toBe("BUSY");
    await Bun.sleep(400);
    expect(await call(slow, "POST", "/predictions/nope/cancel")).toMatchObject({ status: 404, json: {} });
    const t0 = performance.now();
    expect(await call(slow, "POST", "/predictions/slow-1/cancel")).toMatchObject({ status: 200, json: {} });
    const done = await completedHook("slow");
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(done).toMatchObject({ id: "slow-1", status: "canceled" });
    expect(done.metrics).toBeUndefined();
    expect(String(done.logs)).toContain("progress");
    await waitStatus(slow, "READY");

    const failed = await call(slow, "POST", "/predictions", { input: { seconds: "0.2", fail: "yes" } });
    expect(failed.status).toBe(200);
    expect(failed.json).toMatchObject({ status: "failed", error: "slow model was asked to fail", input: { seconds: 0.2, fail: true }, output: null });
    expect(String(failed.json.logs)).toContain("Traceback (most recent call last):");
    expect(await dockerLogs(slow.id)).toContain("progress");
  }, TEST_TIMEOUT_MS);

  test("stream: iterator output arrives as growing lists in webhooks; POST /shutdown exits 0", async () => {
    await waitStatus(stream, "READY");
    const res = await call(stream, "POST", "/predictions", { id: "s1", input: { prompt: "alpha beta gamma", count: 10 }, webhook: `${receiverBase}/hooks/stream` }, ASYNC);
    expect(res.status).toBe(202);
    const done = await completedHook("stream");
    const expected = ["alpha", " beta", " gamma", " alpha", " beta", " gamma", " alpha", " beta", " gamma", " alpha"];
    expect(done).toMatchObject({ status: "succeeded", output: expected });
    const all = hooks("stream");
    expect(all[0]).toMatchObject({ status: "processing", output: null });
    const partial = all.slice(1, -1).map((h) => h.output as string[]);
    // Throttled to one webhook per 0.1 s: some but not all of the 10 snapshots, each a growing prefix.
    expect(partial.some((o) => o.length > 0 && o.length < 10)).toBe(true);
    expect(all.length).toBeLessThan(12);
    for (let i = 1; i < partial.length; i++) expect(partial[i].length).toBeGreaterThanOrEqual(partial[i - 1].length);
    for (const o of partial) expect(o).toEqual(expected.slice(0, o.length));
    expect(String(done.logs)).toContain("generated token 10/10");

    await waitStatus(stream, "READY");
    const sync = await call(stream, "POST", "/predictions", { input: { prompt: "x y", count: "3" } });
    expect(sync.json).toMatchObject({ status: "succeeded", output: ["x", " y", " x"], input: { prompt: "x y", count: 3 } });

    expect(await call(stream, "POST", "/shutdown")).toMatchObject({ status: 200, json: {} });
    expect(await exitCode(stream.id)).toBe(0);
  }, TEST_TIMEOUT_MS);

  test("image: 422 shapes, sync data URL, async --upload-url PUT with X-Prediction-ID", async () => {
    await waitStatus(image, "READY");
    const bad = await call(image, "POST", "/predictions", { input: { width: 300, height: "abc", brightness: 2 } });
    expect(bad.status).toBe(422);
    expect(bad.json.detail).toEqual([
      { loc: ["body", "input", "width"], msg: "value is not a valid enumeration member; permitted: 256, 512, 768, 1024", type: "type_error.enum", ctx: { enum_values: [256, 512, 768, 1024] } },
      { loc: ["body", "input", "height"], msg: "value is not a valid integer", type: "type_error.integer" },
      { loc: ["body", "input", "brightness"], msg: "ensure this value is less than or equal to 1.0", type: "value_error.number.not_le", ctx: { limit_value: 1 } },
    ]);

    const sync = await call(image, "POST", "/predictions", { input: { width: 512, height: "32", color: "blue", api_key: "s3cret" } });
    expect(sync.json).toMatchObject({ status: "succeeded", input: { width: 512, height: 32, color: "blue", api_key: "**********", seed: null, init_image: null } });
    const output = String(sync.json.output);
    expect(output.startsWith("data:image/png;base64,")).toBe(true);
    const png = Buffer.from(output.split(",")[1], "base64");
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.readUInt32BE(16)).toBe(512);
    expect(png.readUInt32BE(20)).toBe(32);
    expect(String(sync.json.logs)).toContain("generating 512x32 blue image");
    expect(await dockerLogs(image.id)).toContain("generating 512x32 blue image");

    const res = await call(image, "PUT", "/predictions/img-1", { input: { height: 16 }, webhook: `${receiverBase}/hooks/image` }, ASYNC);
    expect(res.status).toBe(202);
    const done = await completedHook("image");
    const upload = received.find((r) => r.method === "PUT");
    expect(upload?.path).toBe("/uploads/img/out.png");
    expect(upload?.headers["x-prediction-id"]).toBe("img-1");
    expect(upload?.headers["content-type"]).toBe("image/png");
    expect([...(upload?.body.subarray(0, 4) ?? [])]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(done).toMatchObject({ status: "succeeded", output: `${receiverBase}/files/uploads/img/out.png` });
  }, TEST_TIMEOUT_MS);

  test("bad-setup: exits 255 with setup output in docker logs; with --await-explicit-shutdown stays up", async () => {
    const exiting = await startContainer(images["bad-setup"], { env: { COG_FIXTURE_SETUP_MS: "100" } });
    const kept = await startContainer(images["bad-setup"], { env: { COG_FIXTURE_SETUP_MS: "100" }, args: ["--await-explicit-shutdown", "true"] });
    expect(await exitCode(exiting.id)).toBe(255);
    const logs = await dockerLogs(exiting.id);
    expect(logs).toContain("loading weights from /src/weights");
    expect(logs).toContain("Traceback (most recent call last):");
    expect(logs).toContain("FileNotFoundError: weights file /src/weights/model.safetensors is missing");

    await waitStatus(kept, "SETUP_FAILED");
    const h = await health(kept);
    expect(h.setup).toMatchObject({ status: "failed" });
    expect(String(h.setup.logs)).toContain("found 0 weight files\nTraceback (most recent call last):");
    const p = await call(kept, "POST", "/predictions", { input: { text: "x" } });
    expect(p).toMatchObject({ status: 500, text: "Internal Server Error" });
    // With the flag SIGTERM is ignored; POST /shutdown is the way out.
    await mustSh(["docker", "kill", "--signal", "TERM", kept.id]);
    await Bun.sleep(300);
    expect((await health(kept)).status).toBe("SETUP_FAILED");
    expect(await call(kept, "POST", "/shutdown")).toMatchObject({ status: 200, json: {} });
    expect(await exitCode(kept.id)).toBe(0);
  }, TEST_TIMEOUT_MS);

  test("crash: the container dies mid-prediction", async () => {
    await waitStatus(crash, "READY");
    const outcome = await fetch(`${crash.base}/predictions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: { text: "boom" } }),
      signal: AbortSignal.timeout(10_000),
    }).then(
      (r) => `status ${r.status}`,
      (e: unknown) => `error ${String(e)}`,
    );
    expect(outcome).toStartWith("error");
    expect(outcome).not.toContain("TimeoutError");
    expect(await exitCode(crash.id)).toBe(137);
    expect(await dockerLogs(crash.id)).toContain('about to crash while handling "boom"');
  }, TEST_TIMEOUT_MS);
});
