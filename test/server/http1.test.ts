// The keep-alive HTTP/1.1 client of the fast path, against a local Bun server: lengths, chunked
// bodies, connection reuse, a server that closed the kept-alive connection, large bodies both ways,
// and abort.
import { afterAll, describe, expect, it } from "bun:test";
import { Http1Client, Http1Error } from "../../server/cog/http1.ts";

const sockets = new Set<string>();
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  idleTimeout: 0,
  async fetch(req, srv) {
    const ip = srv.requestIP(req);
    sockets.add(`${ip?.address}:${ip?.port}`);
    const url = new URL(req.url);
    const body = await req.text();
    if (url.pathname === "/echo") return Response.json({ method: req.method, length: body.length, type: req.headers.get("content-type"), head: body.slice(0, 10) });
    if (url.pathname === "/chunked")
      return new Response(
        new ReadableStream({
          async start(c) {
            for (const part of ["{\"a\":", "[1,2,3]", "}"]) {
              c.enqueue(new TextEncoder().encode(part));
              await Bun.sleep(2);
            }
            c.close();
          },
        }),
        { headers: { "content-type": "application/json" } },
      );
    if (url.pathname === "/modelhub-acme-hello-i1/echo") return Response.json({ path: url.pathname, length: body.length });
    if (url.pathname === "/big") return new Response("x".repeat(3_000_000));
    if (url.pathname === "/slow") {
      await Bun.sleep(5000);
      return new Response("late");
    }
    if (url.pathname === "/close") return new Response("bye", { headers: { connection: "close" } });
    return new Response("nope", { status: 404 });
  },
});
afterAll(() => server.stop(true));
const base = `http://127.0.0.1:${server.port}`;

describe("http1 client", () => {
  it("sends a body and reads a Content-Length response, reusing one connection", async () => {
    const c = new Http1Client();
    sockets.clear();
    for (let i = 0; i < 5; i++) {
      const r = await c.request(base, "POST", "/echo", { "Content-Type": "application/json" }, JSON.stringify({ i }));
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body.toString())).toEqual({ method: "POST", length: 7, type: "application/json", head: `{"i":${i}}` });
    }
    expect(sockets.size).toBe(1);
    c.close();
  });

  it("reads chunked bodies, large bodies, and status codes", async () => {
    const c = new Http1Client();
    expect(JSON.parse((await c.request(base, "GET", "/chunked", {}, "")).body.toString())).toEqual({ a: [1, 2, 3] });
    expect((await c.request(base, "GET", "/big", {}, "")).body.length).toBe(3_000_000);
    expect((await c.request(base, "GET", "/missing", {}, "")).status).toBe(404);
    c.close();
  });

  it("writes a request larger than the socket buffer", async () => {
    const c = new Http1Client();
    const big = "y".repeat(20_000_000);
    const r = await c.request(base, "PUT", "/echo", { "Content-Type": "text/plain" }, big);
    expect(JSON.parse(r.body.toString()).length).toBe(20_000_000);
    c.close();
  });

  it("opens a new connection after the server closed one", async () => {
    const c = new Http1Client();
    expect((await c.request(base, "GET", "/close", {}, "")).body.toString()).toBe("bye");
    expect((await c.request(base, "POST", "/echo", {}, "{}")).status).toBe(200);
    c.close();
  });

  it("aborts an in-flight request", async () => {
    const c = new Http1Client();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    const err = await c.request(base, "GET", "/slow", {}, "", ac.signal).catch((e) => e);
    expect((err as Error).name).toBe("AbortError");
    c.close();
  });

  it("reports a connection refused as an error", async () => {
    const c = new Http1Client();
    const probe = Bun.serve({ port: 0, fetch: () => new Response() });
    const dead = `http://127.0.0.1:${probe.port}`;
    probe.stop(true);
    const err = await c.request(dead, "GET", "/", {}, "").catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(Http1Error); // the connect itself failed
  });
});

describe("an endpoint with a path", () => {
  it("keeps it: a container behind a relay link is http://127.0.0.1:PORT/<container>", async () => {
    const c = new Http1Client();
    for (const base of [`http://127.0.0.1:${server.port}/modelhub-acme-hello-i1`, `http://127.0.0.1:${server.port}/modelhub-acme-hello-i1/`]) {
      const res = await c.request(base, "POST", "/echo", { "content-type": "application/json" }, "{}");
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body.toString())).toEqual({ path: "/modelhub-acme-hello-i1/echo", length: 2 });
    }
    c.close();
  });
});
