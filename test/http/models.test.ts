// /v1/models and versions through app.handle: status, content type, every field the Python 1.x client
// requires, absolute and followable `next`, QUERY search, and problem bodies for every failure.
import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { body, expectProblem } from "../helpers/http-expect.ts";
import { PYTHON, pythonProblems } from "../helpers/python-client.ts";
import { cogLabels, loadSchema } from "../helpers/cog-schema-fixtures.ts";
import { ORIGIN, type TestApp, testApp } from "../helpers/test-app.ts";

const hello = loadSchema("hello-world-cog-0.13.6-pydantic1.json");

let h: TestApp;
beforeEach(() => {
  h = testApp({ gpus: 2 });
});
afterEach(() => h.close());

/** Imports an image as a version of `name` through the API (the modelhub extension). */
async function importVersion(name: string, image: string, config: Record<string, unknown> = { build: { gpu: false } }) {
  h.runtime.addImage(image, cogLabels(hello, config));
  const res = await h.req("POST", `/v1/models/${name}/versions`, { image });
  expect(res.status).toBe(201);
  return body(res);
}

describe("POST /v1/models", () => {
  it("creates a model with every field Replicate's create takes, stores and returns them (201)", async () => {
    const res = await h.req("POST", "/v1/models", {
      owner: "acme",
      name: "hello",
      visibility: "private",
      hardware: "gpu-1x",
      description: "Says hello",
      github_url: "https://github.com/acme/hello",
      paper_url: "https://arxiv.org/abs/1234.5678",
      license_url: "https://example.com/license",
      cover_image_url: "https://example.com/cover.png",
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toBe("application/json");
    const m = await body(res);
    expect(pythonProblems("Model", m)).toEqual([]);
    expect(m).toMatchObject({
      url: `${ORIGIN}/models/acme/hello`,
      owner: "acme",
      name: "hello",
      visibility: "private",
      hardware: "gpu-1x",
      description: "Says hello",
      github_url: "https://github.com/acme/hello",
      paper_url: "https://arxiv.org/abs/1234.5678",
      license_url: "https://example.com/license",
      cover_image_url: "https://example.com/cover.png",
      run_count: 0,
      latest_version: null,
      default_example: null,
      is_official: false,
    });
    // Stored: a later GET returns the same, and the hardware is the model's run policy.
    expect(await body(await h.req("GET", "/v1/models/acme/hello"))).toEqual(m);
    expect(h.policies.stored(h.catalog.getModel("acme", "hello").id)).toMatchObject({ gpus: 1, pinnedGpus: null });
  });

  it("needs only owner and name; the optional fields come back null, never missing", async () => {
    const m = await body(await h.req("POST", "/v1/models", { owner: "acme", name: "bare" }));
    expect(m).toMatchObject({ visibility: "public", description: null, github_url: null, paper_url: null, license_url: null, cover_image_url: null, hardware: null });
    for (const k of ["description", "github_url", "paper_url", "license_url", "cover_image_url", "default_example", "latest_version"]) expect(k in m).toBe(true);
  });

  const invalid: [string, Record<string, unknown> | string, number, string[]][] = [
    ["missing owner and name", {}, 422, ["owner", "name"]],
    ["a name that is not a model name", { owner: "acme", name: "Hello World" }, 422, ["name"]],
    ["visibility outside public/private", { owner: "acme", name: "x", visibility: "secret" }, 422, ["visibility"]],
    ["a github_url that is not http(s)", { owner: "acme", name: "x", github_url: "ftp://x" }, 422, ["github_url"]],
    ["a number for description", { owner: "acme", name: "x", description: 5 }, 422, ["description"]],
    ["an unknown hardware SKU", { owner: "acme", name: "x", hardware: "tpu-v5" }, 422, ["hardware"]],
    ["a pinned GPU this machine lacks", { owner: "acme", name: "x", hardware: "gpu-7" }, 422, ["hardware"]],
    ["more GPUs than this machine has", { owner: "acme", name: "x", hardware: "gpu-3x" }, 422, ["hardware"]],
    ["a JSON array body", "[1,2]", 400, []],
    ["malformed JSON", "{nope", 400, []],
  ];
  for (const [what, b, status, fields] of invalid)
    it(`answers ${status} for ${what}, naming the fields, and creates nothing`, async () => {
      const res = await h.req("POST", "/v1/models", b, typeof b === "string" ? { "content-type": "application/json" } : {});
      const p = await body(res);
      expectProblem(res, status, p);
      if (fields.length) expect((p.invalid_fields as { field: string }[]).map((f) => f.field).sort()).toEqual([...fields].sort());
      expect(h.catalog.countModels()).toBe(0);
    });

  it("answers 409 for a model that already exists", async () => {
    await h.req("POST", "/v1/models", { owner: "acme", name: "dup" });
    const res = await h.req("POST", "/v1/models", { owner: "acme", name: "dup" });
    expectProblem(res, 409, await body(res));
  });

  it("ignores unknown fields, as the spec recommends", async () => {
    const res = await h.req("POST", "/v1/models", { owner: "acme", name: "lenient", weights_url: "https://x", surprise: true });
    expect(res.status).toBe(201);
  });
});

describe("GET /v1/models/{owner}/{name}", () => {
  it("includes the latest version with every field Python requires, and counts runs", async () => {
    const v = await importVersion("acme/hello", "acme/hello:1");
    h.addPrediction("acme/hello", v.id);
    h.addPrediction("acme/hello", v.id, { status: "failed", error: "boom" });
    h.addPrediction("acme/other", v.id);
    const res = await h.req("GET", "/v1/models/acme/hello");
    expect(res.status).toBe(200);
    const m = await body(res);
    expect(pythonProblems("Model", m)).toEqual([]);
    expect(m.run_count).toBe(2);
    expect(m.latest_version).toMatchObject({ id: v.id, cog_version: "0.13.6", image: "acme/hello:1" });
    expect(m.latest_version.openapi_schema.components.schemas.Output).toBeDefined();
    // No policy set: the model runs as its image says (build.gpu false → cpu).
    expect(m.hardware).toBe("cpu");
  });

  it("is a 404 problem for an unknown model", async () => {
    const res = await h.req("GET", "/v1/models/acme/nope");
    const p = await body(res);
    expectProblem(res, 404, p);
    expect(p.detail).toContain("acme/nope");
  });
});

describe("PATCH /v1/models/{owner}/{name}", () => {
  it("changes only the fields given; null clears one", async () => {
    await h.req("POST", "/v1/models", { owner: "acme", name: "m", description: "old", github_url: "https://github.com/acme/m", license_url: "https://l" });
    const res = await h.req("PATCH", "/v1/models/acme/m", { description: "new", github_url: null, readme: "# M", hardware: "gpu-1" });
    expect(res.status).toBe(200);
    const m = await body(res);
    expect(m).toMatchObject({ description: "new", github_url: null, license_url: "https://l", hardware: "gpu-1" });
    expect(pythonProblems("Model", m)).toEqual([]);
    const readme = await h.req("GET", "/v1/models/acme/m/readme");
    expect(readme.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
    expect(await readme.text()).toBe("# M");
  });

  it("rejects a bad field with 422 and changes nothing", async () => {
    await h.req("POST", "/v1/models", { owner: "acme", name: "m", description: "keep" });
    const res = await h.req("PATCH", "/v1/models/acme/m", { description: "lost", visibility: "hidden" });
    expectProblem(res, 422, await body(res));
    expect((await body(await h.req("GET", "/v1/models/acme/m"))).description).toBe("keep");
  });

  it("is a 404 for an unknown model", async () => {
    const res = await h.req("PATCH", "/v1/models/acme/nope", { description: "x" });
    expectProblem(res, 404, await body(res));
  });
});

describe("DELETE /v1/models/{owner}/{name}", () => {
  it("a deleted model takes no prediction at once, and no container starts for it", async () => {
    await importVersion("acme/gone", "acme/gone:1");
    // A refused input still resolves the model (and so fills the 1 s lookup cache): 422, no container.
    expect((await h.req("POST", "/v1/models/acme/gone/predictions", { input: {} })).status).toBe(422);
    expect((await h.req("DELETE", "/v1/models/acme/gone")).status).toBe(204);
    const res = await h.req("POST", "/v1/models/acme/gone/predictions", { input: { text: "x" } });
    expectProblem(res, 404, await body(res));
    expect(h.runtime.containers.length).toBe(0);
  });

  it("a deleted version takes no prediction at once, and no container starts for it", async () => {
    const v = await importVersion("acme/gone", "acme/gone:1");
    expect((await h.req("POST", "/v1/predictions", { version: v.id, input: {} })).status).toBe(422);
    expect((await h.req("DELETE", `/v1/models/acme/gone/versions/${v.id}`)).status).toBe(204);
    const res = await h.req("POST", "/v1/predictions", { version: v.id, input: { text: "x" } });
    expectProblem(res, 404, await body(res));
    expect(h.runtime.containers.length).toBe(0);
  });

  it("a request that resolved the version before the DELETE (then awaited) stores nothing and starts nothing", async () => {
    const v = await importVersion("acme/gone", "acme/gone:1");
    const version = h.deps.predictions.resolveVersion(v.id);
    expect((await h.req("DELETE", "/v1/models/acme/gone")).status).toBe(204);
    expect(() => h.deps.predictions.create({ version, input: { text: "x" }, origin: ORIGIN })).toThrow(/not found/);
    expect(h.runtime.containers.length).toBe(0);
  });

  it("answers 204 with an empty body, then the model is a 404", async () => {
    await importVersion("acme/gone", "acme/gone:1");
    const res = await h.req("DELETE", "/v1/models/acme/gone");
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    expect((await h.req("GET", "/v1/models/acme/gone")).status).toBe(404);
    expect((await h.req("DELETE", "/v1/models/acme/gone")).status).toBe(404);
  });
});

describe("GET /v1/models (pages)", () => {
  it("pages newest first with an absolute next that a client can follow to the end", async () => {
    for (let i = 0; i < 205; i++) h.catalog.createModel("bulk", `m${String(i).padStart(3, "0")}`);
    const seen: string[] = [];
    let url: string | null = `${ORIGIN}/v1/models`;
    let pages = 0;
    while (url) {
      expect(url.startsWith(`${ORIGIN}/v1/models`)).toBe(true);
      const res = await h.app.handle(new Request(url));
      expect(res.status).toBe(200);
      const page: any = await body(res);
      expect(pythonProblems("Page", page)).toEqual([]);
      expect(page.previous).toBeNull();
      for (const m of page.results) expect(pythonProblems("Model", m)).toEqual([]);
      seen.push(...page.results.map((m: any) => m.name));
      url = page.next;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen.length).toBe(205);
    expect(new Set(seen).size).toBe(205);
    // created in name order within the same millisecond or later: newest first means descending ids
    expect(seen[0]).toBe("m204");
    expect(seen[204]).toBe("m000");
  });

  const sorts: [string, string, (names: string[]) => void][] = [
    ["sort_direction=asc", "?sort_direction=asc", (n) => expect(n).toEqual(["a", "b", "c"])],
    ["default (newest model first)", "", (n) => expect(n).toEqual(["c", "b", "a"])],
    ["sort_by=latest_version_created_at", "?sort_by=latest_version_created_at", (n) => expect(n[0]).toBe("a")],
  ];
  for (const [what, query, check] of sorts)
    it(`sorts by ${what}`, async () => {
      for (const n of ["a", "b", "c"]) h.catalog.createModel("s", n);
      await importVersion("s/a", "s/a:1");
      const page = await body(await h.req("GET", `/v1/models${query}`));
      check(page.results.map((m: any) => m.name));
    });

  const badQueries: [string, string][] = [
    ["?sort_by=popularity", "sort_by"],
    ["?sort_direction=sideways", "sort_direction"],
  ];
  for (const [query, field] of badQueries)
    it(`answers 422 for ${query}`, async () => {
      const res = await h.req("GET", `/v1/models${query}`);
      const p = await body(res);
      expectProblem(res, 422, p);
      expect(p.invalid_fields[0].field).toBe(field);
    });

  it("answers 400 for a cursor it did not make", async () => {
    const res = await h.req("GET", "/v1/models?cursor=not-a-cursor");
    expectProblem(res, 400, await body(res));
  });
});

describe("QUERY /v1/models (search)", () => {
  beforeEach(async () => {
    await h.req("POST", "/v1/models", { owner: "acme", name: "sdxl", description: "Text to image" });
    await h.req("POST", "/v1/models", { owner: "acme", name: "llama", description: "A language model" });
    await h.req("POST", "/v1/models", { owner: "other", name: "whisper", description: "Speech to TEXT", readme: "Transcribes audio" });
  });

  const cases: [string, string, string[]][] = [
    ["a name", "llama", ["llama"]],
    ["an owner/name prefix", "acme/", ["llama", "sdxl"]],
    ["description words, case-insensitively", "text", ["sdxl", "whisper"]],
    ["the readme", "transcribes", ["whisper"]],
    ["nothing", "zebra", []],
    ["LIKE wildcards taken literally", "%", []],
    ["an empty body (everything)", "", ["llama", "sdxl", "whisper"]],
    ["a JSON-encoded string, as the JS client sends it", '"llama"', ["llama"]],
    ["quotes that are not JSON, as typed", '"lla"ma"', []],
  ];
  for (const [what, q, names] of cases)
    it(`matches ${what}`, async () => {
      const res = await h.req("QUERY", "/v1/models", q, { "content-type": "text/plain" });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/json");
      const page = await body(res);
      expect(pythonProblems("Page", page)).toEqual([]);
      expect(page.results.map((m: any) => m.name).sort()).toEqual(names);
    });

  it("keeps the search in next, so following it with GET stays within the results", async () => {
    for (let i = 0; i < 150; i++) h.catalog.createModel("many", `needle-${i}`);
    for (let i = 0; i < 30; i++) h.catalog.createModel("many", `hay-${i}`);
    const first = await body(await h.req("QUERY", "/v1/models", "needle", { "content-type": "text/plain" }));
    expect(first.results.length).toBe(100);
    expect(first.next).toStartWith(`${ORIGIN}/v1/models?cursor=`);
    const second = await body(await h.app.handle(new Request(first.next)));
    expect(second.results.length).toBe(50);
    expect(second.next).toBeNull();
    expect(second.results.every((m: any) => m.name.startsWith("needle-"))).toBe(true);
  });

  it("answers 422 for a query over 1000 characters", async () => {
    const res = await h.req("QUERY", "/v1/models", "x".repeat(1001), { "content-type": "text/plain" });
    expectProblem(res, 422, await body(res));
  });
});

describe("versions", () => {
  it("lists versions newest first as a Page, each with every field Python requires", async () => {
    const v1 = await importVersion("acme/v", "acme/v:1");
    const v2 = await importVersion("acme/v", "acme/v:2");
    const res = await h.req("GET", "/v1/models/acme/v/versions");
    expect(res.status).toBe(200);
    const page = await body(res);
    expect(pythonProblems("Page", page)).toEqual([]);
    expect(page.results.map((v: any) => v.id)).toEqual([v2.id, v1.id]);
    for (const v of page.results) expect(pythonProblems("Version", v)).toEqual([]);
    expect(page.next).toBeNull();
  });

  it("pages a long version history with a followable next", async () => {
    h.catalog.createModel("acme", "long");
    for (let i = 0; i < 120; i++)
      h.catalog.addVersion("acme/long", { id: i.toString(16).padStart(64, "0"), image: `acme/long:${i}`, cogVersion: "0.13.6", openapiSchema: hello, config: {} });
    const first = await body(await h.req("GET", "/v1/models/acme/long/versions"));
    expect(first.results.length).toBe(100);
    const second = await body(await h.app.handle(new Request(first.next)));
    expect(second.results.length).toBe(20);
    expect(new Set([...first.results, ...second.results].map((v: any) => v.id)).size).toBe(120);
  });

  const scenarios: [string, () => Promise<[string, string]>, number][] = [
    ["get a version of this model", async () => ["GET", `/v1/models/acme/v/versions/${(await importVersion("acme/v", "acme/v:1")).id}`], 200],
    ["get an unknown version", async () => ["GET", `/v1/models/acme/v/versions/${"f".repeat(64)}`], 404],
    ["get another model's version", async () => ["GET", `/v1/models/acme/v/versions/${(await importVersion("acme/w", "acme/w:1")).id}`], 404],
    ["delete a version", async () => ["DELETE", `/v1/models/acme/v/versions/${(await importVersion("acme/v", "acme/v:1")).id}`], 204],
    ["delete another model's version", async () => ["DELETE", `/v1/models/acme/v/versions/${(await importVersion("acme/w", "acme/w:1")).id}`], 404],
    ["list versions of an unknown model", async () => ["GET", "/v1/models/acme/none/versions"], 404],
  ];
  for (const [what, setup, status] of scenarios)
    it(`${what} → ${status}`, async () => {
      h.catalog.createModel("acme", "v");
      const [method, path] = await setup();
      const res = await h.req(method, path);
      expect(res.status).toBe(status);
      const b = await body(res);
      if (status === 200) expect(pythonProblems("Version", b)).toEqual([]);
      else if (status === 204) expect(b).toBeNull();
      else expectProblem(res, status, b);
    });

  it("importing the same image again is a 200 with the same version; an image that is not Cog is a 422", async () => {
    const v = await importVersion("acme/v", "acme/v:1");
    const again = await h.req("POST", "/v1/models/acme/v/versions", { image: "acme/v:1" });
    expect(again.status).toBe(200);
    expect((await body(again)).id).toBe(v.id);
    h.runtime.addImage("nginx:latest", { maintainer: "x" });
    const res = await h.req("POST", "/v1/models/acme/v/versions", { image: "nginx:latest" });
    expectProblem(res, 422, await body(res));
    const missing = await h.req("POST", "/v1/models/acme/v/versions", {});
    const p = await body(missing);
    expectProblem(missing, 422, p);
    expect(p.invalid_fields).toEqual([{ field: "image", rule: "required", message: "is required" }]);
  });

  it("a stopped Docker engine makes an import a 503 that says so", async () => {
    h.runtime.engineUp = false;
    const res = await h.req("POST", "/v1/models/acme/v/versions", { image: "acme/v:1" });
    const p = await body(res);
    expectProblem(res, 503, p);
    expect(p.code).toBe("docker_unavailable");
  });
});

it("the Python field table covers every object this file checks", () => {
  expect(Object.keys(PYTHON)).toEqual(expect.arrayContaining(["Model", "Version", "Page"]));
});
