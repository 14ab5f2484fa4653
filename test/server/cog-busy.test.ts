// The Python-server CogContainer retries a busy container (409/503) quietly, but not forever when
// the container itself says it is broken: coglet answers 503 both during setup and after a failed one.
import { afterAll, describe, expect, it } from "bun:test";
import { PythonCogServer } from "../../server/cog/python-server.ts";

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
      if (req.method === "PUT") return Response.json({ id: "p1", status: "starting" }, { status: 202 });
      return Response.json({ status: "succeeded", output: "ok", logs: "" });
    },
  });
  return { server, posts: () => posts, url: `http://127.0.0.1:${server.port}` };
}

describe("Cog Python server: busy retries", () => {
  const cog = new PythonCogServer({ sleep: async () => {} });
  const servers: { stop(force: boolean): void }[] = [];
  afterAll(() => {
    cog.close();
    for (const s of servers) s.stop(true);
  });

  it("keeps retrying a busy container that is healthy, then gets the answer", async () => {
    const c = container("BUSY", 120);
    servers.push(c.server);
    const p = await cog.open(c.url).predict({ id: "p1", input: {} });
    expect(p.status).toBe("succeeded");
    expect(c.posts()).toBe(121);
  });

  it("gives up with the container's own reason when it keeps refusing and says SETUP_FAILED", async () => {
    const c = container("SETUP_FAILED", Number.MAX_SAFE_INTEGER);
    servers.push(c.server);
    const p = await cog.open(c.url).predict({ id: "p1", input: {} });
    expect(p.status).toBe("failed");
    expect(p.error).toContain("SETUP_FAILED");
    expect(p.error).toContain("no weights");
    expect(c.posts()).toBe(51); // the first health check, after 50 busy answers
  });

  it("retries an async start the same way, and a 202 means accepted", async () => {
    const c = container("BUSY", 3);
    servers.push(c.server);
    const s = await cog.open(c.url).startAsync({ id: "p1", input: {}, webhookUrl: "http://127.0.0.1:1/hook" });
    expect(s).toEqual({ kind: "accepted" });
    expect(c.posts()).toBe(4);
  });
});
