// Predictions against the real engine and the Cog fixture images of both runtime lines (Python
// server and coglet): a failed prediction's logs, streams (token by token through the official JS
// client, replay for late subscribers), logs while running, cancel (running and queued), Cancel-After, Prefer: wait, signed
// webhooks the JS client validates; once (not line-specific): cursor pagination, source.
// Runs only with MODELHUB_TEST_DOCKER=1.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import Replicate, { validateWebhook } from "replicate";
import { RUNTIME_LINES } from "../fixtures/runtime-lines.ts";
import { dockerTests, startLiveServer, type LiveServer } from "../helpers/live-server.ts";
import { until } from "../helpers/until.ts";

const T = 60_000;

interface Hook {
  headers: Headers;
  body: string;
}

describe.skipIf(!dockerTests)("predictions: live progress, streams, cancel, webhooks", () => {
  let s: LiveServer;
  let replicate: Replicate;
  const version: Record<string, string> = {};
  const hooks: Hook[] = [];
  let receiver: ReturnType<typeof Bun.serve>;

  beforeAll(async () => {
    s = await startLiveServer();
    replicate = new Replicate({ auth: "test", baseUrl: `${s.url}/v1` });
    for (const L of RUNTIME_LINES)
      for (const m of ["hello", "stream", "slow"] as const) version[`live/${L.prefix}${m}`] = await s.addModel(L.image(m), `live/${L.prefix}${m}`);
    receiver = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        hooks.push({ headers: req.headers, body: await req.text() });
        return new Response("ok");
      },
    });
  }, T);

  afterAll(async () => {
    receiver?.stop(true);
    await s?.[Symbol.asyncDispose]();
  });

  for (const L of RUNTIME_LINES) {
    describe(`${L.line} line`, () => {
      const stream = `live/${L.prefix}stream` as const;
      const slow = `live/${L.prefix}slow`;
      const hello = `live/${L.prefix}hello`;

      // First on a fresh `slow` version: a waited-for prediction of a version without slow history goes the sync way.
      it("shows what a failed waited-for prediction printed, with the model's error", async () => {
        const p = (await s.api("POST", `/v1/models/${slow}/predictions`, { input: { seconds: 0.5, fail: true } }, { prefer: "wait" })).body;
        expect(p.status).toBe("failed");
        expect(p.error).toContain("slow model was asked to fail");
        expect(p.logs).toContain("progress 0."); // Python server: in its answer; coglet answers logs "": from the container's log stream
      }, T);

      it("streams an iterator to the JS client token by token, with its logs, and keeps the output", async () => {
        const events: { event: string; data: string }[] = [];
        for await (const e of replicate.stream(stream, { input: { prompt: "the quick brown fox", count: 8 } })) events.push({ event: e.event, data: String(e.data) });
        const outputs = events.filter((e) => e.event === "output").map((e) => e.data);
        expect(outputs).toEqual(["the", " quick", " brown", " fox", " the", " quick", " brown", " fox"]);
        expect(events.filter((e) => e.event === "logs").map((e) => e.data)).toContain("generated token 8/8");
        expect(events.at(-1)!.event).toBe("done");
        const list = await s.api("GET", "/v1/predictions");
        const p = list.body.results.find((r: any) => r.model === stream);
        expect(p.output).toEqual(outputs);
        expect(p.status).toBe("succeeded");
      }, T);

      it("runs an iterator model with run(): the whole list", async () => {
        expect(await replicate.run(stream, { input: { prompt: "a b", count: 3 } })).toEqual(["a", " b", " a"]);
      }, T);

      it("replays the whole stream, without auth, to a subscriber that comes after the end", async () => {
        const p = (await s.api("POST", `/v1/models/${stream}/predictions`, { input: { prompt: "x y", count: 2 } }, { prefer: "wait" })).body;
        expect(p.status).toBe("succeeded");
        expect(p.urls.stream).toStartWith(`${s.url}/v1/streams/`);
        const res = await fetch(p.urls.stream, { headers: { accept: "text/event-stream" } });
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toBe("text/event-stream");
        const text = await res.text();
        expect(text).toStartWith(": hi\n\n");
        expect(text).toContain("event: output\nid: ");
        expect(text).toContain("data: x\n\n");
        expect(text).toContain("data:  y\n\n");
        expect(text.trimEnd()).toEndWith("event: done\nid: " + text.trimEnd().split("event: done\nid: ")[1]);
        expect((await fetch(`${s.url}/v1/streams/not-a-token`)).status).toBe(404);
      }, T);

      it("shows logs while a prediction runs, and cancels it there", async () => {
        const p = (await s.api("POST", `/v1/models/${slow}/predictions`, { input: { seconds: 30 } })).body;
        expect(p.status).toBe("starting");
        const running = await until("logs while running", async () => {
          const g = (await s.api("GET", `/v1/predictions/${p.id}`)).body;
          return g.status === "processing" && g.logs.includes("progress") ? g : null;
        });
        expect(running.completed_at).toBeNull();
        const c = await s.api("POST", `/v1/predictions/${p.id}/cancel`);
        expect(c.status).toBe(200);
        const done = await until("canceled", async () => {
          const g = (await s.api("GET", `/v1/predictions/${p.id}`)).body;
          return g.status === "canceled" ? g : null;
        });
        expect(done.logs).toContain("progress");
        expect(done.error).toBeNull();
      }, T);

      it("takes a queued prediction out of the line when it is canceled", async () => {
        const first = (await s.api("POST", `/v1/models/${slow}/predictions`, { input: { seconds: 20 } })).body;
        await until("first running", async () => (await s.api("GET", `/v1/predictions/${first.id}`)).body.status === "processing");
        const second = (await s.api("POST", `/v1/models/${slow}/predictions`, { input: { seconds: 20 } })).body;
        const c = (await s.api("POST", `/v1/predictions/${second.id}/cancel`)).body;
        expect(c.status).toBe("canceled");
        expect(c.started_at).toBeNull();
        await s.api("POST", `/v1/predictions/${first.id}/cancel`);
        await until("first canceled", async () => (await s.api("GET", `/v1/predictions/${first.id}`)).body.status === "canceled");
      }, T);

      it("cancels at the Cancel-After deadline, shows the deadline, and refuses a malformed one", async () => {
        const t0 = Date.now();
        const r = await s.api("POST", `/v1/models/${slow}/predictions`, { input: { seconds: 60 } }, { "cancel-after": "2s" });
        expect(r.status).toBe(201);
        const deadline = Date.parse(r.body.deadline);
        expect(deadline).toBeGreaterThanOrEqual(Date.parse(r.body.created_at) + 1999);
        expect(deadline).toBeLessThanOrEqual(t0 + 60_000);
        const done = await until("canceled by its deadline", async () => {
          const g = (await s.api("GET", `/v1/predictions/${r.body.id}`)).body;
          return g.status === "canceled" ? g : null;
        });
        expect(done.status).toBe("canceled"); // never "aborted": the 1.x clients do not know it
        const bad = await s.api("POST", `/v1/models/${slow}/predictions`, { input: { seconds: 1 } }, { "cancel-after": "soon" });
        expect(bad.status).toBe(422);
        expect(bad.body.detail).toContain("Cancel-After");
      }, T);

      it("answers Prefer: wait with the result, or with `starting` when the wait runs out", async () => {
        const fast = await s.api("POST", "/v1/predictions", { version: version[hello], input: { text: "w" } }, { prefer: "wait" });
        expect(fast.status).toBe(201);
        expect(fast.body).toMatchObject({ status: "succeeded", output: "hello w" });
        expect(fast.headers.get("preference-applied")).toBe("wait=60");
        const waited = await s.api("POST", `/v1/models/${slow}/predictions`, { input: { seconds: 5 } }, { prefer: "wait=1" });
        expect(waited.body.status).toBe("starting"); // both clients treat anything else as final
        await s.api("POST", `/v1/predictions/${waited.body.id}/cancel`);
      }, T);

      it("delivers signed webhooks (body as GET returns it) that the JS client validates", async () => {
        const secret = (await replicate.webhooks.default.secret.get()).key;
        expect(secret).toMatch(/^whsec_/);
        const url = `http://127.0.0.1:${receiver.port}/hook`;
        const p = (await s.api("POST", "/v1/predictions", { version: version[hello], input: { text: "hook" }, webhook: url, webhook_events_filter: ["start", "completed"] })).body;
        const completed = await until("completed webhook", async () => hooks.find((h) => JSON.parse(h.body).id === p.id && JSON.parse(h.body).status === "succeeded"));
        const mine = hooks.filter((h) => JSON.parse(h.body).id === p.id);
        expect(mine.map((h) => JSON.parse(h.body).status)).toEqual(["processing", "succeeded"]);
        for (const h of mine) expect(await validateWebhook({ headers: h.headers, body: h.body } as any, secret)).toBe(true);
        expect(JSON.parse(completed.body)).toEqual((await s.api("GET", `/v1/predictions/${p.id}`)).body);
      }, T);
    });
  }

  describe("either line", () => {
    it("pages the list with absolute cursors, newest first, and the JS client follows them", async () => {
      const before = (await s.api("GET", "/v1/predictions")).body.results.length;
      const need = 105 - before;
      for (let i = 0; i < need; i++) await s.api("POST", "/v1/predictions", { version: version["live/hello"], input: { text: String(i) } }, { prefer: "wait" });
      const first = (await s.api("GET", "/v1/predictions")).body;
      expect(first.results).toHaveLength(100);
      expect(first.next).toStartWith(`${s.url}/v1/predictions?cursor=`);
      const second = (await (await fetch(first.next)).json()) as any;
      expect(second.results.length).toBeGreaterThanOrEqual(5);
      const ids = [...first.results, ...second.results].map((p: any) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      const created = [...first.results, ...second.results].map((p: any) => p.created_at);
      expect([...created].sort().reverse()).toEqual(created);
      let n = 0;
      for await (const page of replicate.paginate(replicate.predictions.list)) n += page.length;
      expect(n).toBe(ids.length);
    }, T);

    it("marks predictions from the web UI as source web", async () => {
      const p = await s.api("POST", "/v1/predictions", { version: version["live/hello"], input: { text: "ui" } }, { prefer: "wait", "x-modelhub-source": "web" });
      expect(p.body.source).toBe("web");
      const q = await s.api("POST", "/v1/predictions", { version: version["live/hello"], input: { text: "api" } }, { prefer: "wait" });
      expect(q.body.source).toBe("api");
    }, T);
  });
});

describe.skipIf(!dockerTests)("predictions: containers that cannot call back", () => {
  let s: LiveServer;
  beforeAll(async () => {
    // Listening on loopback: containers reach host.docker.internal (the bridge gateway) and find nothing.
    s = await startLiveServer({ "callback-host": "127.0.0.1" });
    for (const L of RUNTIME_LINES) await s.addModel(L.image("stream"), `deaf/${L.prefix}stream`);
  }, T);
  afterAll(async () => {
    await s?.[Symbol.asyncDispose]();
  });

  for (const L of RUNTIME_LINES)
    it(`moves to the sync path on a fresh container and still answers, then stays sync (${L.line} line)`, async () => {
      const first = await s.api("POST", `/v1/models/deaf/${L.prefix}stream/predictions`, { input: { prompt: "a b", count: 3 } }, { prefer: "wait" });
      expect(first.body.status).toBe("succeeded");
      expect(first.body.output).toEqual(["a", " b", " a"]);
      const second = await s.api("POST", `/v1/models/deaf/${L.prefix}stream/predictions`, { input: { prompt: "c", count: 2 } }, { prefer: "wait" });
      expect(second.body).toMatchObject({ status: "succeeded", output: ["c", " c"] });
      // The SSE stream still replays everything (at the end, since nothing arrives live).
      const text = await (await fetch(second.body.urls.stream)).text();
      expect(text).toContain("event: done");
    }, T);
});
