// Webhook delivery to a local receiver: the filter, the output/logs throttle (latest state at the end
// of the window), signed headers, completed retried under one webhook-id, redirects not followed.
import { afterAll, describe, expect, it } from "bun:test";
import { PredictionEvents } from "../../server/predictions/events.ts";
import type { PredictionRecord } from "../../server/predictions/store.ts";
import { WebhookDispatcher } from "../../server/webhooks/dispatcher.ts";
import { verifyWebhook } from "../../server/webhooks/signing.ts";
import { silentLogger } from "../../server/log.ts";

interface Hit {
  path: string;
  headers: Record<string, string>;
  body: string;
}
const hits: Hit[] = [];
let failFirst = 0;
const receiver = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const url = new URL(req.url);
    hits.push({ path: url.pathname, headers: Object.fromEntries(req.headers), body: await req.text() });
    if (url.pathname === "/redirect") return new Response(null, { status: 302, headers: { location: "/elsewhere" } });
    if (url.pathname === "/flaky" && failFirst-- > 0) return new Response("no", { status: 503 });
    return new Response("ok");
  },
});
afterAll(() => receiver.stop(true));

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

function setup(throttleMs = 60_000) {
  const events = new PredictionEvents();
  const d = new WebhookDispatcher({
    secret: () => SECRET,
    present: (p) => ({ id: p.id, status: p.status, output: p.output }),
    logger: silentLogger,
    userAgent: "modelhub/test",
    throttleMs,
    retryDelaysMs: [10, 20, 40],
  });
  d.attach(events);
  return { events, d };
}

let n = 0;
function pred(path: string, filter: string[] | null): PredictionRecord {
  return {
    id: `p${n++}`, model: "a/b", versionId: "v", input: {}, output: null, logs: "", error: null, status: "starting", source: "api",
    createdAt: "", startedAt: null, completedAt: null, metrics: {}, webhook: `http://127.0.0.1:${receiver.port}${path}`,
    webhookEventsFilter: filter, deployment: null, deadline: null, instanceId: null, streamToken: "t", origin: null, fileOutput: false,
  };
}
const bodies = (path: string, id: string) => hits.filter((h) => h.path === path && JSON.parse(h.body).id === id).map((h) => JSON.parse(h.body));

describe("webhook dispatcher", () => {
  it("sends only filtered events; throttled output sends at once, then the latest state once the window ends or at completion", async () => {
    const { events, d } = setup();
    const p = pred("/a", ["start", "output", "completed"]);
    p.status = "processing";
    events.publish("start", p);
    events.publish("logs", p); // not in the filter
    for (let i = 1; i <= 5; i++) {
      p.output = Array.from({ length: i }, (_, k) => k);
      events.publish("output", p);
    }
    p.status = "succeeded";
    events.publish("completed", p);
    await d.drain();
    const got = bodies("/a", p.id);
    // start, the first output, then completed (the window's trailing send is replaced by completed)
    expect(got.map((b) => [b.status, b.output?.length ?? null])).toEqual([
      ["processing", null],
      ["processing", 1],
      ["succeeded", 5],
    ]);
  });

  it("sends the latest state at the end of a throttle window", async () => {
    const { events, d } = setup(30);
    const p = pred("/b", ["output"]);
    p.status = "processing";
    for (let i = 1; i <= 4; i++) {
      p.output = Array.from({ length: i }, (_, k) => k);
      events.publish("output", p);
    }
    while (bodies("/b", p.id).length < 2) await Bun.sleep(5);
    await d.drain();
    expect(bodies("/b", p.id).map((b) => b.output.length)).toEqual([1, 4]);
  });

  it("defaults to output and completed when there is no filter", async () => {
    const { events, d } = setup();
    const p = pred("/c", null);
    events.publish("start", p);
    p.status = "succeeded";
    events.publish("completed", p);
    await d.drain();
    expect(bodies("/c", p.id).map((b) => b.status)).toEqual(["succeeded"]);
  });

  it("signs every delivery and retries completed under the same webhook-id", async () => {
    const { events, d } = setup();
    failFirst = 2;
    const p = pred("/flaky", ["completed"]);
    p.status = "failed";
    events.publish("completed", p);
    await d.drain();
    const tries = hits.filter((h) => h.path === "/flaky" && JSON.parse(h.body).id === p.id);
    expect(tries).toHaveLength(3);
    expect(new Set(tries.map((t) => t.headers["webhook-id"])).size).toBe(1);
    for (const t of tries) {
      expect(t.headers["content-type"]).toBe("application/json");
      expect(verifyWebhook(SECRET, { id: t.headers["webhook-id"], timestamp: t.headers["webhook-timestamp"], signature: t.headers["webhook-signature"] }, t.body)).toBe(true);
    }
  });

  it("never follows a redirect (and retries completed as a failure)", async () => {
    const { events, d } = setup();
    const p = pred("/redirect", ["completed"]);
    p.status = "succeeded";
    events.publish("completed", p);
    await d.drain();
    expect(hits.filter((h) => h.path === "/elsewhere")).toHaveLength(0);
    expect(bodies("/redirect", p.id)).toHaveLength(4); // first try + 3 retries
  });
});
