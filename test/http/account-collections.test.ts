// GET /v1/account and /v1/collections[/{slug}] through app.handle: shapes the Python 1.x client
// parses (non-null name and description), pages with absolute next, 404 problems.
import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { loadConfig } from "../../server/config.ts";
import { body, expectProblem } from "../helpers/http-expect.ts";
import { pythonProblems } from "../helpers/python-client.ts";
import { ORIGIN, type TestApp, testApp } from "../helpers/test-app.ts";

let h: TestApp;
beforeEach(() => {
  h = testApp();
});
afterEach(() => h.close());

describe("GET /v1/account", () => {
  it("is the local user named by --username", async () => {
    const res = await h.req("GET", "/v1/account");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const a = await body(res);
    expect(pythonProblems("Account", a)).toEqual([]);
    expect(a).toEqual({ type: "user", username: "tester", name: "tester", role: "admin", auth: "off" });
  });

  const names: [Record<string, string>, Record<string, string>, string][] = [
    [{}, { USER: "Ada Lovelace" }, "ada-lovelace"],
    [{}, { USERNAME: "BOB" }, "bob"],
    [{}, {}, "local"],
    [{ username: "acme" }, { USER: "root" }, "acme"],
    [{}, { USER: "---" }, "local"],
  ];
  for (const [flags, env, want] of names)
    it(`defaults to the OS user, shaped like an owner: ${JSON.stringify({ ...flags, ...env })} → ${want}`, () => {
      expect(loadConfig(env, flags).username).toBe(want);
    });
});

describe("GET /v1/collections", () => {
  beforeEach(() => {
    h.catalog.createModel("acme", "a");
    h.catalog.createModel("acme", "b");
    h.catalog.createModel("zed", "c");
  });

  it("lists `all` and one collection per owner, each with a non-null description", async () => {
    const res = await h.req("GET", "/v1/collections");
    expect(res.status).toBe(200);
    const page = await body(res);
    expect(pythonProblems("Page", page)).toEqual([]);
    for (const c of page.results) expect(pythonProblems("Collection", c)).toEqual([]);
    expect(page.results.map((c: any) => c.slug)).toEqual(["all", "by-acme", "by-zed"]);
    expect(page.results[0].description).toContain("3 models");
    expect(page.results[1]).toEqual({ name: "Models by acme", slug: "by-acme", description: "The 2 models owned by acme on this server, newest first." });
    expect(page.next).toBeNull();
  });

  it("pages owners with an absolute next that reaches every one", async () => {
    for (let i = 0; i < 150; i++) h.catalog.createModel(`o${String(i).padStart(3, "0")}`, "m");
    const slugs: string[] = [];
    let url: string | null = `${ORIGIN}/v1/collections`;
    while (url) {
      const page: any = await body(await h.app.handle(new Request(url)));
      slugs.push(...page.results.map((c: any) => c.slug));
      expect(page.results.length).toBeLessThanOrEqual(100);
      url = page.next;
      if (url) expect(url).toStartWith(`${ORIGIN}/v1/collections?cursor=`);
    }
    expect(slugs.length).toBe(1 + 2 + 150);
    expect(new Set(slugs).size).toBe(slugs.length);
  });

  const details: [string, number, string[]][] = [
    ["all", 200, ["c", "b", "a"]],
    ["by-acme", 200, ["b", "a"]],
    ["by-zed", 200, ["c"]],
    ["by-nobody", 404, []],
    ["text-to-image", 404, []],
  ];
  for (const [slug, status, names] of details)
    it(`GET /v1/collections/${slug} → ${status}`, async () => {
      const res = await h.req("GET", `/v1/collections/${slug}`);
      const b = await body(res);
      if (status !== 200) return expectProblem(res, status, b);
      expect(res.status).toBe(200);
      expect(pythonProblems("Collection", b)).toEqual([]);
      expect(b.slug).toBe(slug);
      expect(b.full_description).toBeNull();
      expect(b.models.map((m: any) => m.name)).toEqual(names);
      for (const m of b.models) expect(pythonProblems("Model", m)).toEqual([]);
    });
});
