// The web UI as the server serves it: the page and its hashed assets, compressed; the JavaScript
// stays well under the 100 KB (compressed) budget. Prints the figures.
import { expect, test } from "bun:test";
import { loadUi, withUi } from "../../server/http/ui.ts";

test("the UI's JavaScript is well under 100 KB compressed, and every route answers the page", async () => {
  const ui = await loadUi();
  const size = ui.scriptBytes();
  console.log(`web UI JavaScript: ${(size.raw / 1024).toFixed(1)} KB raw, ${(size.gzip / 1024).toFixed(1)} KB gzip, ${(size.br / 1024).toFixed(1)} KB brotli`);
  expect(size.raw).toBeGreaterThan(10_000); // the bundle really is there
  expect(size.gzip).toBeLessThan(60 * 1024);
  const html = new TextDecoder().decode(Bun.gunzipSync(new Uint8Array(await ui.handle(new Request("http://x/", { headers: { "accept-encoding": "gzip" } }), "/")!.arrayBuffer())));
  const assets = [...html.matchAll(/(?:src|href)="(\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
  expect(assets.length).toBeGreaterThanOrEqual(2);
  for (const path of ["/", "/predictions", "/p/abc", "/models/acme/hello", "/models/new", "/instances", "/settings/tokens", "/sign-in"]) {
    const res = ui.handle(new Request(`http://x${path}`, { headers: { "accept-encoding": "gzip" } }), path)!;
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect(new TextDecoder().decode(Bun.gunzipSync(new Uint8Array(await res.arrayBuffer())))).toContain('<div id="app">');
  }
  expect(ui.handle(new Request("http://x/p/a/b"), "/p/a/b")).toBeNull();
  const asset = ui.handle(new Request(`http://x${assets[0]}`, { headers: { "accept-encoding": "br" } }), assets[0])!;
  expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
  expect(asset.headers.get("content-encoding")).toBe("br");
  // A revalidation by ETag answers 304 without a body.
  const etag = asset.headers.get("etag")!;
  expect(ui.handle(new Request("http://x/", { headers: { "if-none-match": etag } }), assets[0])!.status).toBe(304);
  // A browser's unknown page gets the UI's not-found page with 404; the API's 404 stays a problem.
  const wrapped = withUi(() => new Response("{}", { status: 404, headers: { "content-type": "application/problem+json" } }));
  const page = await wrapped(new Request("http://x/nope", { headers: { accept: "text/html" } }));
  expect(page.status).toBe(404);
  expect(page.headers.get("content-type")).toContain("text/html");
  expect((await wrapped(new Request("http://x/v1/nope", { headers: { accept: "text/html" } }))).headers.get("content-type")).toContain("problem");
  expect((await wrapped(new Request("http://x/nope", { headers: { accept: "application/json" } }))).headers.get("content-type")).toContain("problem");
  expect((await wrapped(new Request("http://x/predictions"))).headers.get("content-type")).toContain("text/html");
  // With tokens on, the guard's 401 for a path it has no rule for is still a missing page to a browser.
  const guarded = withUi(() => new Response("{}", { status: 401, headers: { "content-type": "application/problem+json" } }));
  expect((await guarded(new Request("http://x/no/such/page", { headers: { accept: "text/html" } }))).status).toBe(404);
  expect((await guarded(new Request("http://x/v1/models", { headers: { accept: "text/html" } }))).status).toBe(401);
});

test("a request whose URL does not parse goes to the API untouched (it answers the 400)", async () => {
  const wrapped = withUi(() => new Response("bad", { status: 400 }));
  const req = { method: "GET", url: "/v1/predictions", headers: new Headers() } as unknown as Request;
  expect((await wrapped(req)).status).toBe(400);
});
