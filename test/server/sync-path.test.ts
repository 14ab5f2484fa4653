// The sync path retries a busy container (409/503) quietly, but not forever when the container
// itself says it is broken: coglet answers 503 both during setup and after a failed one.
import { afterAll, describe, expect, it } from "bun:test";
import { Http1Client } from "../../server/predictions/http1.ts";
import type { Running } from "../../server/predictions/live-records.ts";
import type { PredictionRecord } from "../../server/predictions/store.ts";
import { callSync } from "../../server/predictions/sync-path.ts";
import type { Clock } from "../../server/scheduler/clock.ts";

const instantClock: Clock = { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as number), sleep: async () => {} };

function container(health: string, busyTimes: number) {
  let posts = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/health-check") return Response.json({ status: health, setup: { logs: "Traceback: no weights" } });
      posts++;
      if (posts <= busyTimes) return Response.json({ error: "Setup has not finished yet", status: "failed" }, { status: 503 });
      return Response.json({ status: "succeeded", output: "ok", logs: "" });
    },
  });
  return { server, posts: () => posts, url: `http://127.0.0.1:${server.port}` };
}

const rec = { id: "p1" } as PredictionRecord;
const running = () => ({ abort: new AbortController() }) as unknown as Running;

describe("sync path busy retries", () => {
  const http = new Http1Client();
  const servers: { stop(force: boolean): void }[] = [];
  afterAll(() => {
    http.close();
    for (const s of servers) s.stop(true);
  });

  it("keeps retrying a busy container that is healthy, then gets the answer", async () => {
    const c = container("BUSY", 120);
    servers.push(c.server);
    const p = await callSync(http, instantClock, rec, {}, c.url, running());
    expect(p.status).toBe("succeeded");
    expect(c.posts()).toBe(121);
  });

  it("gives up with the container's own reason when it keeps refusing and says SETUP_FAILED", async () => {
    const c = container("SETUP_FAILED", Number.MAX_SAFE_INTEGER);
    servers.push(c.server);
    const p = await callSync(http, instantClock, rec, {}, c.url, running());
    expect(p.status).toBe("failed");
    expect(p.error).toContain("SETUP_FAILED");
    expect(p.error).toContain("no weights");
    expect(c.posts()).toBe(51); // the first health check, after 50 busy answers
  });
});
