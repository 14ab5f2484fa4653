// A web page on another site cannot drive the API from the user's browser: the forged "simple"
// cross-site POST from the issue (text/plain, foreign Origin) is refused, JSON routes take JSON only,
// and CORS answers only origins the admin named.
import { afterEach, describe, expect, it } from "bun:test";
import { cogLabels, loadSchema } from "../helpers/cog-schema-fixtures.ts";
import { ORIGIN, type TestApp, testApp } from "../helpers/test-app.ts";

let h: TestApp;
afterEach(() => h.close());

async function withModel(flags: Record<string, string> = {}) {
  h = testApp({ flags });
  h.runtime.addImage("acme/hello:latest", cogLabels(loadSchema("hello-world-cog-0.13.6-pydantic1.json")));
  expect((await h.req("POST", "/v1/models/o/hello/versions", { image: "acme/hello:latest" })).status).toBe(201);
}

const forged = JSON.stringify({ version: "o/hello", input: { text: "x" }, webhook: "http://127.0.0.1:9/exfil" });

describe("cross-site requests", () => {
  it("refuses the forged text/plain POST from another origin (403), and stores nothing", async () => {
    await withModel();
    const res = await h.req("POST", "/v1/predictions", forged, { origin: "https://evil.example", "content-type": "text/plain" });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { detail: string }).detail).toContain("https://evil.example");
    expect(h.store.list(10)).toEqual([]);
  });

  it("refuses a foreign Origin whatever the body, on every state-changing method", async () => {
    await withModel();
    for (const [method, path] of [["POST", "/v1/models"], ["PATCH", "/v1/models/o/hello"], ["DELETE", "/v1/models/o/hello"], ["POST", "/v1/files"]])
      expect((await h.req(method, path, {}, { origin: "http://attacker.test" })).status).toBe(403);
    expect((await h.req("POST", "/v1/models", {}, { origin: "null" })).status).toBe(403);
    // reads stay readable (the browser keeps their answers from the page: no CORS)
    expect((await h.req("GET", "/v1/models", undefined, { origin: "http://attacker.test" })).status).toBe(200);
  });

  it("lets the server's own pages (same Origin as Host, or --public-url) and non-browser clients through", async () => {
    await withModel();
    const body = { version: "o/hello", input: { text: "x" } };
    expect((await h.req("POST", "/v1/predictions", body, { origin: ORIGIN })).status).toBe(201);
    expect((await h.req("POST", "/v1/predictions", body)).status).toBe(201);
  });

  it("answers 415 to a JSON route sent text/plain or a form, even from a same-origin or Origin-less client", async () => {
    await withModel();
    const res = await h.req("POST", "/v1/predictions", forged, { "content-type": "text/plain" });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { detail: string }).detail).toContain("application/json");
    expect((await h.req("POST", "/v1/models", "owner=a&name=b", { "content-type": "application/x-www-form-urlencoded" })).status).toBe(415);
    expect((await h.req("POST", "/v1/models", JSON.stringify({ owner: "a", name: "b" }), { "content-type": "application/json; charset=utf-8" })).status).toBe(201);
    // an empty body needs no type (the Python client's cancel sends none)
    expect(h.store.list(10)).toEqual([]);
  });

  it("has CORS off by default: a preflight is not answered with permission", async () => {
    await withModel();
    const res = await h.req("OPTIONS", "/v1/predictions", undefined, { origin: "https://app.example", "access-control-request-method": "POST" });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers CORS for the origins in --cors-origins only", async () => {
    await withModel({ "cors-origins": "https://app.example" });
    const pre = await h.req("OPTIONS", "/v1/predictions", undefined, { origin: "https://app.example", "access-control-request-method": "POST" });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(pre.headers.get("access-control-allow-headers")).toContain("authorization");
    const res = await h.req("POST", "/v1/predictions", { version: "o/hello", input: { text: "x" } }, { origin: "https://app.example" });
    expect(res.status).toBe(201);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
    const other = await h.req("OPTIONS", "/v1/predictions", undefined, { origin: "https://evil.example", "access-control-request-method": "POST" });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});
