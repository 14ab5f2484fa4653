// Failures that happen before or around any route: unknown paths, wrong methods, trailing slashes,
// malformed JSON, bodies over the limit. Each is one problem+json body, never a redirect.
import { afterAll, describe, expect, it } from "bun:test";
import { body, expectProblem } from "../helpers/http-expect.ts";
import { ORIGIN, testApp } from "../helpers/test-app.ts";

const h = testApp({ flags: { "max-body-size": "1k", "max-file-size": "4k" } });
h.catalog.createModel("acme", "m");
afterAll(() => h.close());

const cases: [string, string, string, string | undefined, Record<string, string>, number, RegExp][] = [
  ["an unknown /v1 path", "GET", "/v1/nothing-here", undefined, {}, 404, /No route for GET \/v1\/nothing-here/],
  ["an unknown top-level path", "GET", "/wp-admin", undefined, {}, 404, /No route/],
  ["a trailing slash (no redirect, a hint)", "GET", "/v1/models/", undefined, {}, 404, /no trailing slash, try \/v1\/models/],
  ["a trailing slash on a model", "GET", "/v1/models/acme/m/", undefined, {}, 404, /try \/v1\/models\/acme\/m$/],
  ["PUT on a model", "PUT", "/v1/models/acme/m", "{}", { "content-type": "application/json" }, 405, /PUT is not allowed on \/v1\/models\/acme\/m; use DELETE, GET, HEAD, PATCH/],
  ["DELETE on the model list", "DELETE", "/v1/models", undefined, {}, 405, /use GET, HEAD, POST, QUERY/],
  ["malformed JSON", "POST", "/v1/models", "{oops", { "content-type": "application/json" }, 400, /not valid JSON/],
  ["JSON that is not an object", "PATCH", "/v1/models/acme/m", '"text"', { "content-type": "application/json" }, 400, /must be a JSON object/],
  ["a JSON body over --max-body-size", "POST", "/v1/models", JSON.stringify({ owner: "acme", name: "big", description: "x".repeat(2000) }), { "content-type": "application/json" }, 413, /is 2 KiB; this server accepts request bodies up to 1 KiB \(.*--max-body-size\)/],
  ["a prediction body over the limit", "POST", "/v1/predictions", JSON.stringify({ version: "x", input: { s: "x".repeat(5000) } }), { "content-type": "application/json" }, 413, /accepts request bodies up to 1 KiB/],
  ["a search body over the limit", "QUERY", "/v1/models", "x".repeat(1500), { "content-type": "text/plain" }, 413, /up to 1 KiB/],
  ["an upload over --max-file-size (+ form overhead)", "POST", "/v1/files", "x".repeat(3 * 1024 * 1024), { "content-type": "multipart/form-data; boundary=b" }, 413, /accepts uploads up to 2 MiB.*--max-file-size/],
];

describe("errors are problem+json everywhere", () => {
  for (const [what, method, path, b, headers, status, detail] of cases)
    it(`${what} → ${status}`, async () => {
      const init: RequestInit = { method, headers: { ...headers } };
      if (b !== undefined) {
        init.body = b;
        (init.headers as Record<string, string>)["content-length"] = String(Buffer.byteLength(b));
      }
      const res = await h.app.handle(new Request(ORIGIN + path, init));
      const p = await body(res);
      expectProblem(res, status, p);
      expect(p.detail).toMatch(detail);
      expect(res.headers.get("location")).toBeNull();
      if (status === 405) expect(res.headers.get("allow")).toBeTruthy();
    });

  it("a body just under the limit is read normally", async () => {
    const res = await h.req("POST", "/v1/models", { owner: "acme", name: "small", description: "x".repeat(800) });
    expect(res.status).toBe(201);
  });

  it("nothing was created by the rejected requests", () => {
    expect(h.catalog.findModel("acme", "big")).toBeNull();
  });
});
