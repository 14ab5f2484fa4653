// The model list writes each version's schema from a per-schema text cache: the response must be
// exactly what JSON.stringify of the page gives, whatever the strings in it look like.
import { describe, expect, it } from "bun:test";
import { modelsPageResponse, type ModelJson } from "../../server/http/present-catalog.ts";

const deepFreeze = <T>(o: T): T => {
  if (o && typeof o === "object") {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
};

const model = (name: string, schema: Record<string, unknown> | null, description: string) =>
  ({
    url: `http://x/models/a/${name}`, owner: "a", name, description, visibility: "public", predictions_visibility: "public",
    github_url: null, paper_url: null, license_url: null, cover_image_url: null, run_count: 3, is_official: false, default_example: null,
    latest_version: schema && { id: `v-${name}`, created_at: "2026-01-01T00:00:00Z", cog_version: "0.9.0", openapi_schema: schema, image: "i", cog_runtime: { line: "python", source: "label", server_version: null } },
    created_at: "2026-01-01T00:00:00Z", hardware: "cpu",
  }) as unknown as ModelJson;

describe("modelsPageResponse", () => {
  it("is JSON.stringify of the page, for shared, unshared and missing schemas and tricky strings", async () => {
    const shared = deepFreeze({ openapi: "3.0.2", components: { schemas: { Input: { properties: { text: { type: "string", description: 'quote " and \\ and \u2028' } } } } } });
    const page = {
      next: "http://x/v1/models?cursor=abc",
      previous: null,
      results: [
        model("one", shared, "plain"),
        model("two", shared, '"@@schema-00000000-0000-0000-0000-000000000000-0" looks like a mark'),
        model("three", { not: "frozen" }, "unfrozen schema"),
        model("four", null, "no version"),
      ],
    };
    const expected = JSON.stringify(page);
    expect(await modelsPageResponse(page).text()).toBe(expected);
    // again, now from the cache
    const res = modelsPageResponse(page);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.text()).toBe(expected);
  });
});
