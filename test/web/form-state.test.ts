// The playground form's pure logic over every fixture schema: widgets and starting values from the
// schema, values ⇄ prediction input, validation by the shared module, saved inputs without secrets.
import { beforeEach, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type OpenApiDocument } from "../../server/contract/cog-schema.ts";
import { orderedProperties } from "../../server/contract/input-fields.ts";
import { checkValues, initialValue, initialValues, loadValues, nonDefaultInput, saveValues, valuesFromInput } from "../../web/lib/form-state.ts";

const DIR = join(import.meta.dir, "../fixtures/schemas");
const docs = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .map((f) => [f.replace(/\.json$/, ""), JSON.parse(readFileSync(join(DIR, f), "utf8")) as OpenApiDocument] as const);

// localStorage as the browser has it (unit tests run without one).
const memory = new Map<string, string>();
beforeEach(() => {
  memory.clear();
  (globalThis as any).localStorage = { getItem: (k: string) => memory.get(k) ?? null, setItem: (k: string, v: string) => memory.set(k, v), removeItem: (k: string) => memory.delete(k) };
});

describe.each(docs)("%s", (_name, doc) => {
  const fields = orderedProperties(doc);

  test("every input gets a widget and a starting value of the shape that widget holds", () => {
    expect(fields.length).toBeGreaterThan(0);
    for (const f of fields) {
      const v = initialValue(f);
      if (f.widget === "boolean") expect(typeof v).toBe("boolean");
      else if (f.widget === "array") expect(Array.isArray(v)).toBe(true);
      else expect(typeof v).toBe("string");
      // A default shows in the widget (as text for text boxes).
      if (f.hasDefault && f.default !== null && f.widget !== "array" && f.widget !== "boolean" && f.widget !== "json")
        expect(v).toBe(typeof f.default === "string" ? f.default : JSON.stringify(f.default));
    }
  });

  test("a prediction's input goes into the form and comes back out unchanged (Tweak it)", () => {
    const start = checkValues(doc, initialValues(fields));
    // Fill what a user must provide, so the round trip has something to check everywhere.
    const input: Record<string, unknown> = start.ok ? { ...start.input } : {};
    for (const f of fields) {
      if (f.name in input) continue;
      if (!f.required) continue;
      input[f.name] = f.enum?.[0] ?? (f.widget === "file" ? "https://example.com/a.png" : f.widget === "boolean" ? true : f.schema.type === "integer" || f.schema.type === "number" ? (f.schema.minimum ?? 1) : f.widget === "array" ? ["https://example.com/a.png"] : "x");
    }
    const r = checkValues(doc, valuesFromInput(fields, input));
    expect(r.ok ? [] : r.errors).toEqual([]);
    if (r.ok) for (const [k, v] of Object.entries(input)) expect(r.input[k]).toEqual(v as never);
  });

  test("the defaults alone are either valid or name exactly the required inputs without one", () => {
    const r = checkValues(doc, initialValues(fields));
    const missing = fields.filter((f) => f.required && !(f.hasDefault && f.default !== null)).map((f) => f.name);
    if (missing.length === 0) expect(r.ok).toBe(true);
    else expect(r.ok ? [] : Object.keys(r.errors).sort()).toEqual(missing.sort());
  });
});

describe("form values", () => {
  const kitchen = docs.find(([n]) => n === "kitchen-sink-cog-0.15.5-pydantic1")![1];
  const fields = orderedProperties(kitchen);

  test("widgets per schema kind: slider for both bounds, select for allOf enums, file for uri, list for arrays", () => {
    const w = Object.fromEntries(fields.map((f) => [f.name, f.widget]));
    expect(w).toMatchObject({ prompt: "textarea", steps: "slider", guidance: "slider", width: "select", scheduler: "select", image: "file", extra_images: "array" });
  });

  test("an out-of-range number is an error at its field, worded with the bound", () => {
    const values = { ...initialValues(fields), prompt: "hi", image: "https://example.com/a.png", steps: "500" };
    const r = checkValues(kitchen, values);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.steps).toMatch(/100/);
  });

  test("typed numbers and enum choices come out typed; empty optional fields are left out", () => {
    const values = { ...initialValues(fields), prompt: "hi", image: "https://example.com/a.png", steps: "30", width: "768", seed: "" };
    const r = checkValues(kitchen, values);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.input.steps).toBe(30);
    expect(r.input.width).toBe(768);
    expect("seed" in r.input).toBe(false);
    // Only what differs from the defaults goes into snippets.
    expect(nonDefaultInput(fields, r.input)).toEqual({ prompt: "hi", image: "https://example.com/a.png", steps: 30, width: 768 });
  });

  test("saved inputs survive a reload per model, secrets never stored", () => {
    const synthetic = docs.find(([n]) => n === "cog-variants-synthetic")![1];
    const sf = orderedProperties(synthetic);
    const secret = sf.find((f) => f.widget === "secret");
    const values = initialValues(sf);
    const text = sf.find((f) => f.widget === "text" || f.widget === "textarea")!;
    values[text.name] = "remember me";
    if (secret) values[secret.name] = "hunter2";
    saveValues("a/b", sf, values);
    expect([...memory.values()].join()).not.toContain("hunter2");
    const back = loadValues("a/b", sf)!;
    expect(back[text.name]).toBe("remember me");
    if (secret) expect(back[secret.name]).toBe("");
    expect(loadValues("other/model", sf)).toBeNull();
  });
});

test("the server's 422 invalid_fields land at their inputs (list items at the list)", async () => {
  const { errorsByField } = await import("../../web/lib/form-state.ts");
  expect(errorsByField([{ field: "height", message: "must be ≤ 1024" }, { field: "images[2]", message: "is not a URL" }, { field: "", message: "input must be an object" }])).toEqual({
    height: "must be ≤ 1024",
    images: "is not a URL",
    _: "input must be an object",
  });
});
