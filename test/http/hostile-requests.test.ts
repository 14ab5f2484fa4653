// Requests a fuzzer found answered with a 500: each is a 4xx (or a clean success) now.
import { afterAll, describe, expect, it } from "bun:test";
import { connect } from "node:net";
import { testApp } from "../helpers/test-app.ts";

const t = testApp();
afterAll(() => t.close());

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

describe("hostile requests", () => {
  // {"c":{},"i":[]}: keys that exist, values SQL cannot bind.
  const cursors = [b64({ c: {}, i: [] }), b64({ o: {} }), b64([1, 2]), b64({ c: "x" }), b64("str"), b64(null), "%%%", b64({ k: "a", i: { x: 1 } })];
  for (const path of ["/v1/predictions", "/v1/files", "/v1/models", "/v1/collections", "/v1/collections/demo"])
    it(`${path} answers a made-up cursor with 400`, async () => {
      for (const c of cursors) {
        const res = await t.req("GET", `${path}?cursor=${c}`);
        if (path === "/v1/collections/demo" && res.status === 404) continue; // no such collection: a 4xx either way
        expect({ c, status: res.status }).toEqual({ c, status: 400 });
        expect((await res.json()).detail).toContain("Invalid cursor");
      }
    });

  it("stores uploads whose names hold a NUL or run past 255 bytes, under a clean name", async () => {
    for (const name of ["a\u0000b.txt", "é".repeat(300) + ".png", "x".repeat(5000)]) {
      const fd = new FormData();
      fd.append("content", new Blob(["hi"]), name);
      const res = await t.app.handle(new Request("http://modelhub.test:5100/v1/files", { method: "POST", body: fd }));
      expect(res.status).toBe(201);
      const f = await res.json();
      expect(f.name).not.toContain("\u0000");
      expect(f.name.length).toBeLessThanOrEqual(200);
    }
  });

  it("answers a path with a malformed %-escape with 400 (Elysia would hand the route a null parameter)", async () => {
    for (const path of ["/v1/collections/%zz", "/v1/collections/%ff%fe", "/v1/models/%zz/x", "/v1/predictions/%E0%A4%A"]) {
      const res = await t.req("GET", path);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect((await res.json()).detail).toContain("malformed %-escape");
    }
  });

  it("answers HTTP/1.0 without a Host header with 400, not 500", async () => {
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: t.app.fetch });
    try {
      for (const path of ["/v1/predictions", "/v1/models", "/v1/files"]) {
        const head = await new Promise<string>((resolve, reject) => {
          const sock = connect(server.port!, "127.0.0.1", () => sock.write(`GET ${path} HTTP/1.0\r\n\r\n`));
          let data = "";
          sock.on("data", (d) => (data += d.toString()));
          sock.on("end", () => resolve(data));
          sock.on("close", () => resolve(data));
          sock.on("error", reject);
        });
        expect(head.split("\r\n")[0]).toBe("HTTP/1.1 400 Bad Request");
        expect(head).toContain("Host header");
      }
    } finally {
      server.stop(true);
    }
  });
});
