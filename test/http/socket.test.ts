// Over a real socket (Bun's HTTP server, not app.handle): the QUERY method end to end, raw and through
// the official `replicate` npm client; no redirects; the body guard before Bun's own limit.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import Replicate from "replicate";
import { MULTIPART_OVERHEAD } from "../../server/http/transport/body-limit.ts";
import { expectProblem } from "../helpers/http-expect.ts";
import { testApp } from "../helpers/test-app.ts";

const h = testApp({ flags: { "public-url": "", "max-body-size": "64k" } });
let base = "";

beforeAll(() => {
  h.catalog.createModel("acme", "sdxl", { description: "text to image" });
  h.catalog.createModel("acme", "llama", { description: "a language model" });
  // As server.ts does: Bun's own cap sits above ours, so ours answers with a problem body.
  const cap = Math.max(h.config.maxBodySize, h.config.maxFileSize + MULTIPART_OVERHEAD) + 1024 * 1024;
  h.app.listen({ hostname: "127.0.0.1", port: 0, maxRequestBodySize: cap });
  base = `http://127.0.0.1:${h.app.server!.port}`;
});
afterAll(async () => {
  await h.app.stop(true);
  h.close();
});

/** One raw HTTP/1.1 exchange, so no client library can rewrite the method. */
async function raw(request: string): Promise<string> {
  const { port } = h.app.server!;
  return new Promise((resolve, reject) => {
    let out = "";
    Bun.connect({
      hostname: "127.0.0.1",
      port: port!,
      socket: {
        open: (s) => void s.write(request),
        data: (_s, d) => void (out += new TextDecoder().decode(d)),
        close: () => resolve(out),
        error: (_s, e) => reject(e),
      },
    }).catch(reject);
  });
}

describe("QUERY /v1/models over a socket", () => {
  it("Bun's HTTP parser and Elysia's router accept the method (raw bytes on the wire)", async () => {
    const text = await raw(`QUERY /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nllama`);
    expect(text).toStartWith("HTTP/1.1 200");
    expect(text).toContain('"name":"llama"');
    expect(text).not.toContain('"name":"sdxl"');
  });

  it("fetch with method QUERY gets the search results", async () => {
    const res = await fetch(`${base}/v1/models`, { method: "QUERY", body: "image", headers: { "content-type": "text/plain" } });
    expect(res.status).toBe(200);
    const page = (await res.json()) as any;
    expect(page.results.map((m: any) => m.name)).toEqual(["sdxl"]);
  });

  it("the official JS client's models.search works unmodified", async () => {
    const replicate = new Replicate({ auth: "unused", baseUrl: `${base}/v1` });
    const page = await replicate.models.search("language");
    expect(page.results.map((m) => m.name)).toEqual(["llama"]);
  });
});

describe("the official JS client against the catalog endpoints", () => {
  const replicate = () => new Replicate({ auth: "unused", baseUrl: `${base}/v1` });

  it("models.get, models.list with paginate, versions, account, collections", async () => {
    const r = replicate();
    const m = await r.models.get("acme", "llama");
    expect(m.url).toBe(`${base}/models/acme/llama`);
    const names: string[] = [];
    for await (const page of r.paginate(r.models.list)) names.push(...page.map((x) => x.name));
    expect(names.sort()).toEqual(["llama", "sdxl"]);
    expect((await r.models.versions.list("acme", "llama")).results).toEqual([]);
    expect(await r.accounts.current()).toEqual({ type: "user", username: "tester", name: "tester" });
    const cols = await r.collections.list();
    expect(cols.results.map((c) => c.slug)).toEqual(["all", "by-acme"]);
    const all = await r.collections.get("all");
    expect(all.models?.length).toBe(2);
  });

  it("models.create answers 201 and a failure is an ApiError carrying the problem body", async () => {
    const r = replicate();
    const created = await r.models.create("acme", "new-one", { visibility: "public", hardware: "cpu", description: "made by the JS client" });
    expect(created.description).toBe("made by the JS client");
    const err: any = await r.models.get("acme", "missing").catch((e) => e);
    expect(err.response.status).toBe(404);
    expect(err.message).toContain('"title":"Not found"');
  });
});

describe("HTTP behaviour on the socket", () => {
  it("a trailing slash is a 404 problem, never a redirect", async () => {
    const res = await fetch(`${base}/v1/models/`, { redirect: "manual" });
    expectProblem(res, 404, await res.json());
    expect(res.headers.get("location")).toBeNull();
  });

  it("a body over --max-body-size is a 413 problem, not Bun's bare 413", async () => {
    const res = await fetch(`${base}/v1/models`, { method: "POST", body: JSON.stringify({ owner: "a", name: "b", description: "x".repeat(100_000) }), headers: { "content-type": "application/json" } });
    expectProblem(res, 413, await res.json());
  });

  it("a wrong method is a 405 with Allow", async () => {
    const res = await fetch(`${base}/v1/account`, { method: "DELETE" });
    expectProblem(res, 405, await res.json());
    expect(res.headers.get("allow")).toBe("GET, HEAD");
  });
});
