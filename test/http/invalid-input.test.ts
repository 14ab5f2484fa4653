// Every kind of invalid prediction input is a 422 problem naming the field and the rule, answered
// before anything is stored or any container is created (the fake runtime records every create).
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { cogLabels, loadSchema } from "../helpers/cog-schema-fixtures.ts";
import { testApp, type TestApp } from "../helpers/test-app.ts";

const kitchen = loadSchema("kitchen-sink-cog-0.15.5-pydantic1.json");
const valid = { prompt: "a cat", image: "https://example.invalid/cat.png" };

const cases: { name: string; input: Record<string, unknown>; field: string; rule: string }[] = [
  { name: "a missing required field", input: { image: valid.image }, field: "prompt", rule: "required" },
  { name: "null for a required field", input: { ...valid, prompt: null }, field: "prompt", rule: "required" },
  { name: "the wrong type", input: { ...valid, steps: "many" }, field: "steps", rule: "type" },
  { name: "a fraction for an integer", input: { ...valid, steps: 2.5 }, field: "steps", rule: "type" },
  { name: "a number below its minimum", input: { ...valid, steps: 0 }, field: "steps", rule: "minimum" },
  { name: "a number above its maximum", input: { ...valid, guidance: 21 }, field: "guidance", rule: "maximum" },
  { name: "a string too short", input: { ...valid, prompt: "" }, field: "prompt", rule: "minLength" },
  { name: "a string too long", input: { ...valid, prompt: "x".repeat(501) }, field: "prompt", rule: "maxLength" },
  { name: "a string not matching its pattern", input: { ...valid, version_code: "one" }, field: "version_code", rule: "pattern" },
  { name: "a value outside its choices", input: { ...valid, width: 300 }, field: "width", rule: "enum" },
  { name: "a file that is not a URL", input: { ...valid, image: "cat.png" }, field: "image", rule: "format" },
  { name: "a list item of the wrong type", input: { ...valid, tags: ["a", 3, {}] }, field: "tags[2]", rule: "type" },
  { name: "null for a field that is not nullable", input: { ...valid, steps: null }, field: "steps", rule: "nullable" },
];

describe("invalid prediction inputs", () => {
  let h: TestApp;
  beforeAll(async () => {
    h = testApp();
    h.runtime.addImage("acme/kitchen:latest", cogLabels(kitchen));
    const r = await h.req("POST", "/v1/models/acme/kitchen/versions", { image: "acme/kitchen:latest" });
    expect(r.status).toBe(201);
  });
  afterAll(() => h.close());

  for (const c of cases)
    it(`${c.name} → 422 naming ${c.field} (${c.rule})`, async () => {
      const r = await h.req("POST", "/v1/predictions", { version: "acme/kitchen", input: c.input }, { prefer: "wait" });
      expect(r.status).toBe(422);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
      const body = (await r.json()) as { detail: string; invalid_fields: { field: string; rule: string }[] };
      expect(body.invalid_fields).toContainEqual(expect.objectContaining({ field: c.field, rule: c.rule }));
      expect(body.detail).toContain(c.field);
    });

  it("reports every bad field at once", async () => {
    const r = await h.req("POST", "/v1/predictions", { version: "acme/kitchen", input: { steps: 0, width: 300 } });
    const fields = ((await r.json()) as { invalid_fields: { field: string }[] }).invalid_fields.map((f) => f.field).sort();
    expect(fields).toEqual(["image", "prompt", "steps", "width"]);
  });

  it("stored nothing and created no container for any of them", async () => {
    expect(h.runtime.containers.length).toBe(0);
    expect(h.store.list(10)).toEqual([]);
  });
});
