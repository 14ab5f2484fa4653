import { describe, expect, it } from "bun:test";
import { Catalog } from "../../server/catalog/catalog.ts";
import { readCogLabels } from "../../server/catalog/cog-labels.ts";
import { defaultModelName } from "../../server/contract/model-name.ts";
import { openDatabase } from "../../server/db/database.ts";
import { AppError } from "../../server/errors.ts";
import { cogLabels, loadSchema } from "../helpers/cog-schema-fixtures.ts";

const hello = loadSchema("hello-world-cog-0.13.6-pydantic1.json");
const D1 = "a".repeat(64);
const D2 = "b".repeat(64);

function version(id: string) {
  return { id, image: "acme/hello:latest", cogVersion: "0.13.6", openapiSchema: hello, config: { build: { gpu: false } } };
}

describe("cog labels", () => {
  it("reads the schema, config and cog version from a real schema label", () => {
    const l = readCogLabels(cogLabels(hello, { build: { gpu: true }, concurrency: { max: 4 } }), "acme/hello");
    expect(l.cogVersion).toBe("0.13.6");
    expect(l.config.build?.gpu).toBe(true);
    expect(l.config.concurrency?.max).toBe(4);
    expect((l.openapiSchema.components as { schemas: Record<string, unknown> }).schemas.Input).toBeDefined();
  });

  it("refuses an image without Cog labels, saying why and what to do", () => {
    try {
      readCogLabels({ maintainer: "x" }, "nginx:latest");
      throw new Error("should have thrown");
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).status).toBe(422);
      expect((e as AppError).detail).toContain("not a Cog image");
      expect((e as AppError).detail).toContain("cog build");
    }
  });

  it("refuses a malformed schema label", () => {
    expect(() => readCogLabels({ "run.cog.config": "{}", "run.cog.openapi_schema": "{nope" }, "x")).toThrow(/malformed run.cog.openapi_schema/);
  });

  it("accepts the legacy org.cogmodel labels", () => {
    const l = readCogLabels({ "org.cogmodel.config": "{}", "org.cogmodel.openapi_schema": JSON.stringify(hello), "org.cogmodel.cog_version": "0.8.6" }, "old");
    expect(l.cogVersion).toBe("0.8.6");
  });
});

describe("default model names", () => {
  const cases: [string, string][] = [
    ["acme/hello:latest", "acme/hello"],
    ["hello", "local/hello"],
    ["ghcr.io/acme/sd-xl:1.0", "acme/sd-xl"],
    ["localhost:5000/team/Model_X", "team/model_x"],
    ["r8.im/owner/name@sha256:abc", "owner/name"],
  ];
  for (const [ref, name] of cases) it(`${ref} → ${name}`, () => expect(defaultModelName(ref)).toBe(name));
});

describe("catalog", () => {
  it("creates the model on first import and lists versions newest first", () => {
    const c = new Catalog(openDatabase(":memory:"));
    expect(c.addVersion("acme/hello", version(D1)).created).toBe(true);
    expect(c.addVersion("acme/hello", version(D2)).created).toBe(true);
    const m = c.getModel("acme", "hello");
    expect(c.listVersions(m.id).map((v) => v.id)).toEqual([D2, D1]);
    expect(c.latestVersion(m.id)!.id).toBe(D2);
  });

  it("reads the latest versions of a page of models in one query, the same as one by one, schemas parsed once", () => {
    const c = new Catalog(openDatabase(":memory:"));
    c.addVersion("acme/hello", version(D1));
    c.addVersion("acme/hello", version(D2));
    c.addVersion("acme/other", version("c".repeat(64)));
    const empty = c.createModel("acme", "empty");
    const ids = [c.getModel("acme", "hello").id, c.getModel("acme", "other").id, empty.id];
    const fresh = new Catalog(c["db"]); // nothing parsed yet: the light rows must still bring the labels
    const page = fresh.latestVersions(ids);
    expect(page.size).toBe(2);
    for (const id of ids.slice(0, 2)) expect(page.get(id)).toEqual(c.latestVersion(id)!);
    expect(page.get(ids[0])!.id).toBe(D2);
    expect(page.get(ids[0])!.openapiSchema).toEqual(hello);
    expect(page.has(empty.id)).toBe(false);
    expect(fresh.latestVersions(ids).get(ids[0])!.openapiSchema).toBe(page.get(ids[0])!.openapiSchema);
  });

  it("resolves a version id, owner/name and owner/name:id", () => {
    const c = new Catalog(openDatabase(":memory:"));
    c.addVersion("acme/hello", version(D1));
    c.addVersion("acme/hello", version(D2));
    expect(c.resolveVersionRef(D1).id).toBe(D1);
    expect(c.resolveVersionRef("acme/hello").id).toBe(D2);
    expect(c.resolveVersionRef(`acme/hello:${D1}`).id).toBe(D1);
    expect(() => c.resolveVersionRef("acme/nope")).toThrow(/Model acme\/nope not found/);
  });

  it("refuses the same image under a second name, naming where it already is", () => {
    const c = new Catalog(openDatabase(":memory:"));
    c.addVersion("acme/hello", version(D1));
    expect(() => c.addVersion("other/hello", version(D1))).toThrow(/already in the catalog as acme\/hello/);
  });

  it("forgets a remembered setup failure when the image is imported again", () => {
    const c = new Catalog(openDatabase(":memory:"));
    c.addVersion("acme/hello", version(D1));
    c.setSetupFailure(D1, "setup failed", "Traceback");
    expect(c.getVersion(D1).setupError).toBe("setup failed");
    expect(c.addVersion("acme/hello", version(D1)).created).toBe(false);
    expect(c.getVersion(D1).setupError).toBeNull();
  });

  it("rejects invalid model names with a 422 naming the rule", () => {
    const c = new Catalog(openDatabase(":memory:"));
    expect(() => c.addVersion("Not Valid", version(D1))).toThrow(/not a valid model name/);
  });
});
