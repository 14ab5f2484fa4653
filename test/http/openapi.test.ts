// GET /openapi.json: every mounted route is documented, extensions are marked, and real responses
// match the documented schemas (checked with a small validator on the served JSON, and with
// TypeBox's Value.Check on the contract schemas themselves).
import { uiRoutes } from "../../server/http/ui.ts";
import { Value } from "@sinclair/typebox/value";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Account, Collection, CollectionDetail } from "../../server/contract/wire-account.ts";
import { Page, Problem } from "../../server/contract/wire-common.ts";
import { HardwareList } from "../../server/contract/wire-deployment.ts";
import { InstancesView } from "../../server/contract/wire-extensions.ts";
import { Model, Version } from "../../server/contract/wire-model.ts";
import { OPERATIONS } from "../../server/http/openapi.ts";
import { openApiPath } from "../../server/http/route-table.ts";
import { body } from "../helpers/http-expect.ts";
import { validate } from "../helpers/json-schema.ts";
import { cogLabels, loadSchema } from "../helpers/cog-schema-fixtures.ts";
import { ORIGIN, testApp } from "../helpers/test-app.ts";

const h = testApp({ gpus: 1 });
let doc: any;
let res: Response;

beforeAll(async () => {
  h.runtime.addImage("acme/hello:1", cogLabels(loadSchema("hello-world-cog-0.13.6-pydantic1.json")));
  expect((await h.req("POST", "/v1/models/acme/hello/versions", { image: "acme/hello:1" })).status).toBe(201);
  await h.req("PATCH", "/v1/models/acme/hello", { description: "hi", github_url: "https://github.com/acme/hello" });
  h.addPrediction("acme/hello", h.catalog.getModel("acme", "hello").id.toString());
  res = await h.req("GET", "/openapi.json");
  doc = await body(res.clone());
});
afterAll(() => h.close());

const operationKey = (method: string) => (method === "QUERY" ? "x-query" : method.toLowerCase());

describe("the document", () => {
  it("is OpenAPI 3.1 JSON with this server as its server, and no external viewer", async () => {
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers).toEqual([{ url: ORIGIN }]);
    expect(await res.text()).not.toMatch(/<script|cdn\.|unpkg|jsdelivr/);
  });

  it("documents every route mounted in the app (walking app.routes)", () => {
    const missing: string[] = [];
    for (const r of h.app.routes) {
      const item = doc.paths[openApiPath(r.path)];
      if (!item?.[operationKey(r.method)]) missing.push(`${r.method} ${r.path}`);
    }
    expect(missing).toEqual([]);
  });

  it("documents nothing that is not mounted", () => {
    // the UI pages are Bun.serve routes beside the app (server/http/ui.ts)
    const mounted = new Set([...h.app.routes, ...uiRoutes].map((r) => `${operationKey(r.method)} ${openApiPath(r.path)}`));
    const extra: string[] = [];
    for (const [path, item] of Object.entries<any>(doc.paths)) for (const k of Object.keys(item)) if (!mounted.has(`${k} ${path}`)) extra.push(`${k} ${path}`);
    expect(extra).toEqual([]);
  });

  it("leaves out the scheduling routes when the app is built without them", async () => {
    const bare = testApp({ scheduling: false });
    const d = await body(await bare.req("GET", "/openapi.json"));
    expect(d.paths["/v1/deployments"]).toBeUndefined();
    expect(d.paths["/v1/models"].get).toBeDefined();
    bare.close();
  });

  it("marks modelhub's own routes, and only those, as extensions", () => {
    const ext = (path: string, key: string) => doc.paths[path]?.[key]?.["x-modelhub-extension"] === true;
    expect(ext("/v1/models/{owner}/{name}/versions", "post")).toBe(true);
    expect(ext("/health", "get")).toBe(true);
    expect(ext("/v1/instances", "get")).toBe(true);
    expect(ext("/v1/models/{owner}/{name}/policy", "get")).toBe(true);
    expect(ext("/v1/models", "get")).toBe(false);
    expect(ext("/v1/predictions", "post")).toBe(false);
    expect(ext("/v1/collections", "get")).toBe(false);
  });

  it("has unique operation ids and resolvable $refs", () => {
    const ids = OPERATIONS.map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const r of new Set(refs)) {
      const name = r.slice('"$ref":"#/components/schemas/'.length, -1);
      expect(doc.components.schemas[name]).toBeDefined();
    }
    expect(refs.length).toBeGreaterThan(20);
  });

  it("describes every error as the Problem schema in application/problem+json", () => {
    for (const item of Object.values<any>(doc.paths))
      for (const op of Object.values<any>(item)) {
        expect(op.responses.default.content["application/problem+json"].schema).toEqual({ $ref: "#/components/schemas/Problem" });
        for (const [code, r] of Object.entries<any>(op.responses))
          if (Number(code) >= 400) expect(r.content["application/problem+json"].schema.$ref).toBe("#/components/schemas/Problem");
      }
  });

  it("puts the Python client's required fields in `required`", () => {
    const s = doc.components.schemas;
    expect(s.Model.required).toEqual(expect.arrayContaining(["url", "owner", "name", "visibility", "run_count"]));
    expect(s.Version.required).toEqual(expect.arrayContaining(["id", "created_at", "cog_version", "openapi_schema"]));
    expect(s.Account.required).toEqual(expect.arrayContaining(["type", "username", "name"]));
    expect(s.Collection.required).toEqual(expect.arrayContaining(["name", "slug", "description"]));
    expect(s.Prediction.required).toEqual(expect.arrayContaining(["id", "model", "version", "status"]));
    expect(s.File.required).toEqual(expect.arrayContaining(["id", "name", "content_type", "size", "etag", "checksums", "metadata", "created_at", "urls"]));
    expect(s.ModelPage.required).toContain("results");
  });

  it("documents request bodies with the schemas the routes check them with", () => {
    const create = doc.paths["/v1/models"].post.requestBody.content["application/json"].schema;
    expect(create).toEqual({ $ref: "#/components/schemas/ModelCreate" });
    expect(doc.components.schemas.ModelCreate.required).toEqual(["owner", "name"]);
    expect(doc.paths["/v1/models"]["x-query"].requestBody.content["text/plain"]).toBeDefined();
  });
});

/** method, path, documented status: real responses that must validate against the document. */
const samples: [string, string, number][] = [
  ["GET", "/v1/models", 200],
  ["GET", "/v1/models/acme/hello", 200],
  ["GET", "/v1/models/acme/hello/versions", 200],
  ["GET", "/v1/collections", 200],
  ["GET", "/v1/collections/all", 200],
  ["GET", "/v1/account", 200],
  ["GET", "/v1/hardware", 200],
  ["GET", "/v1/predictions", 200],
  ["GET", "/v1/webhooks/default/secret", 200],
  ["GET", "/v1/instances", 200],
  ["GET", "/v1/models/acme/nope", 404],
  ["POST", "/v1/models", 422],
];

describe("real responses match the documented schemas", () => {
  const templateOf = (path: string) => {
    for (const t of Object.keys(doc.paths)) {
      const re = new RegExp(`^${t.replace(/\{[^}]+\}/g, "[^/]+")}$`);
      if (re.test(path)) return t;
    }
    throw new Error(`no documented path for ${path}`);
  };
  for (const [method, path, status] of samples)
    it(`${method} ${path} → ${status}`, async () => {
      const r = await h.req(method, path, method === "POST" ? {} : undefined);
      expect(r.status).toBe(status);
      const ct = r.headers.get("content-type")!;
      const op = doc.paths[templateOf(path)][operationKey(method)];
      const documented = op.responses[String(status)] ?? op.responses.default;
      const schema = documented.content[ct]?.schema;
      expect(schema).toBeDefined();
      expect(validate(await body(r), schema, doc)).toEqual([]);
    });

  it("a response that breaks the schema is caught (the validator is not a rubber stamp)", async () => {
    const m = await body(await h.req("GET", "/v1/models/acme/hello"));
    const schema = { $ref: "#/components/schemas/Model" };
    expect(validate({ ...m, run_count: "2" }, schema, doc)).not.toEqual([]);
    expect(validate({ ...m, visibility: null }, schema, doc)).not.toEqual([]);
    const { url: _, ...noUrl } = m;
    expect(validate(noUrl, schema, doc)).not.toEqual([]);
    expect(validate({ ...m, latest_version: { ...m.latest_version, cog_version: null } }, schema, doc)).not.toEqual([]);
  });

  const typed: [string, string, unknown][] = [
    ["/v1/models", "Page(Model)", Page(Model)],
    ["/v1/models/acme/hello", "Model", Model],
    ["/v1/models/acme/hello/versions", "Page(Version)", Page(Version)],
    ["/v1/account", "Account", Account],
    ["/v1/collections", "Page(Collection)", Page(Collection)],
    ["/v1/collections/by-acme", "CollectionDetail", CollectionDetail],
    ["/v1/hardware", "HardwareList", HardwareList],
    ["/v1/instances", "InstancesView", InstancesView],
    ["/v1/models/acme/none", "Problem", Problem],
  ];
  for (const [path, name, schema] of typed)
    it(`Value.Check(${name}) accepts GET ${path}`, async () => {
      const b = await body(await h.req("GET", path));
      const errors = [...Value.Errors(schema as any, b)].map((e) => `${e.path} ${e.message}`);
      expect(errors).toEqual([]);
    });
});
