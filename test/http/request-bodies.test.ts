// Every route that reads a body checks it against its wire schema in server/contract (the schema
// /openapi.json publishes): a bad body is a 422 naming the field and the rule, and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { OPERATIONS } from "../../server/http/openapi.ts";
import { cogLabels, loadSchema } from "../helpers/cog-schema-fixtures.ts";
import { testApp, type TestApp } from "../helpers/test-app.ts";

type Case = [name: string, method: string, path: string, body: unknown, field: string, rule: string, message?: string];

const cases: Case[] = [
  ["a prediction without a version", "POST", "/v1/predictions", { input: {} }, "version", "required"],
  ["a prediction whose input is not an object", "POST", "/v1/predictions", { version: "acme/hello", input: "hi" }, "input", "type"],
  ["a webhook that is not http(s)", "POST", "/v1/predictions", { version: "acme/hello", input: { text: "x" }, webhook: "ftp://x" }, "webhook", "format", "must be an http(s) URL or null"],
  ["an unknown webhook event", "POST", "/v1/models/acme/hello/predictions", { input: { text: "x" }, webhook: "http://127.0.0.1:9/h", webhook_events_filter: ["done"] }, "webhook_events_filter.0", "enum", 'must be one of "start", "output", "logs", "completed"'],
  ["a deployment prediction with a legacy webhook that is not a URL", "POST", "/v1/deployments/acme/prod/predictions", { input: { text: "x" }, webhook_completed: 7 }, "webhook_completed", "type"],
  ["a policy field that does not exist", "PATCH", "/v1/models/acme/hello/policy", { colour: "red" }, "colour", "unknown"],
  ["a policy count out of range", "PATCH", "/v1/models/acme/hello/policy", { max_instances: 65 }, "max_instances", "maximum", "must be a whole number from 1 to 64 or null"],
  ["an idle timeout that is neither seconds nor never", "PATCH", "/v1/models/acme/hello/policy", { idle_timeout: "soon" }, "idle_timeout", "anyOf", 'must be a number ≥ 0, "never", -1 or null'],
  ["a deployment name with spaces", "POST", "/v1/deployments", { name: "Big One", model: "acme/hello" }, "name", "pattern"],
  ["a deployment without a model", "POST", "/v1/deployments", { name: "other" }, "model", "required", "is required"],
  ["a deployment scaled past the cap", "PATCH", "/v1/deployments/acme/prod", { max_instances: 100 }, "max_instances", "maximum"],
  ["a stop with a negative grace", "POST", "/v1/instances/stop", { all: true, grace: -1 }, "grace", "minimum"],
  ["a stop of one instance with a grace in words", "POST", "/v1/instances/i1/stop", { grace: "soon" }, "grace", "type"],
  ["a stop naming a model without its owner", "POST", "/v1/instances/stop", { model: "hello" }, "model", "pattern"],
  ["a model with a number for its description", "POST", "/v1/models", { owner: "acme", name: "x", description: 5 }, "description", "type"],
  ["a token without a name", "POST", "/v1/tokens", { role: "user" }, "name", "required"],
  ["a token with an unknown role", "POST", "/v1/tokens", { name: "ci", role: "root" }, "role", "enum"],
  ["a search over 1000 characters", "QUERY", "/v1/models", "x".repeat(1001), "query", "maxLength"],
  ["a pull without an image", "POST", "/v1/images/pull", { name: "acme/x" }, "image", "required"],
  ["a node without an engine", "POST", "/v1/nodes", { name: "gpu2" }, "engine", "required"],
  ["a node whose label value is a number", "POST", "/v1/nodes", { name: "gpu2", engine: "tcp://gpu2:2376", labels: { gpu: 4090 } }, "labels.gpu", "type"],
  ["a drain that is not a boolean", "POST", "/v1/nodes/gpu2/drain", { drained: "yes" }, "drained", "type"],
];

describe("request bodies are checked by their wire schema", () => {
  let h: TestApp;
  beforeAll(async () => {
    h = testApp();
    h.runtime.addImage("acme/hello:latest", cogLabels(loadSchema("hello-world-cog-0.13.6-pydantic1.json")));
    expect((await h.req("POST", "/v1/models/acme/hello/versions", { image: "acme/hello:latest" })).status).toBe(201);
    expect((await h.req("POST", "/v1/deployments", { name: "prod", model: "acme/hello" })).status).toBe(201);
  });
  afterAll(() => h.close());

  for (const [name, method, path, body, field, rule, message] of cases)
    it(`${name}: 422 naming ${field} (${rule})`, async () => {
      const headers: Record<string, string> = typeof body === "string" ? { "content-type": "text/plain" } : {};
      const r = await h.req(method, path, body, headers);
      expect(r.status).toBe(422);
      const p = (await r.json()) as { detail: string; invalid_fields: { field: string; rule: string; message: string }[] };
      expect(p.invalid_fields).toContainEqual(expect.objectContaining({ field, rule }));
      if (message) expect(p.invalid_fields.find((f) => f.field === field)?.message).toBe(message);
      expect(p.detail).toContain(field);
    });

  it("a file's metadata that is not a JSON object is a 422 naming metadata", async () => {
    const form = new FormData();
    form.append("content", new Blob(["hi"], { type: "text/plain" }), "hi.txt");
    form.append("metadata", "[1, 2]");
    const r = await h.app.handle(new Request("http://127.0.0.1:5100/v1/files", { method: "POST", body: form }));
    expect(r.status).toBe(422);
    expect(((await r.json()) as { invalid_fields: unknown[] }).invalid_fields).toEqual([{ field: "metadata", rule: "type", message: "must be an object" }]);
  });

  it("changed nothing: no prediction, the policy and the deployment as they were", async () => {
    expect(h.store.list(10)).toEqual([]);
    const policy = (await (await h.req("GET", "/v1/models/acme/hello/policy")).json()) as { policy: Record<string, unknown> };
    expect(Object.values(policy.policy).every((v) => v === null)).toBe(true);
    const dep = (await (await h.req("GET", "/v1/deployments/acme/prod")).json()) as { current_release: { number: number } };
    expect(dep.current_release.number).toBe(1);
  });

  it("covers every JSON body /openapi.json documents", () => {
    const documented = OPERATIONS.filter((r) => r.body).map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
    const tested = new Set(cases.map(([, method, path]) => `${method} ${path}`.replace("/acme/hello/", "/{owner}/{name}/").replace("/acme/prod", "/{owner}/{name}").replace("/i1/", "/{id}/").replace("/nodes/gpu2/", "/nodes/{name}/")));
    tested.add("POST /v1/files");
    // Tested elsewhere with the same helper: model update and version import (test/http/models.test.ts).
    for (const r of ["PATCH /v1/models/{owner}/{name}", "POST /v1/models/{owner}/{name}/versions"]) tested.add(r);
    // Raw bytes, not JSON: image load parts are tested in test/server/image-loads.test.ts and test/docker/cli-bundle.test.ts.
    tested.add("PUT /v1/images/loads/{id}");
    expect(documented.filter((r) => !tested.has(r))).toEqual([]);
  });
});
