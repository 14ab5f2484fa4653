// Tests server/contract/ (cog-schema, input-fields, input-validation, form-values) against every real Cog schema fixture plus one hand-written variant file.

import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { COG_SCHEMAS } from "../helpers/cog-schema-fixtures.ts";
import { effectiveProperty, inputSchema, isConcatenateOutput, isFileOutput, isIteratorOutput, type OpenApiDocument, outputSchema } from "../../server/contract/cog-schema.ts";
import { coerceFormValues } from "../../server/contract/form-values.ts";
import { defaultInput, type InputField, orderedProperties } from "../../server/contract/input-fields.ts";
import { type FileLike, type ValidateOptions, type ValidationResult, validateInput } from "../../server/contract/input-validation.ts";

function loadDir(dir: string): Map<string, OpenApiDocument> {
  const docs = new Map<string, OpenApiDocument>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
    docs.set(file.replace(/\.json$/, ""), JSON.parse(readFileSync(join(dir, file), "utf8")));
  }
  return docs;
}

const real = loadDir(COG_SCHEMAS);
const local = loadDir(resolve(import.meta.dir, "../fixtures/schemas"));

function doc(name: string): OpenApiDocument {
  const d = real.get(name) ?? local.get(name);
  if (!d) throw new Error(`fixture ${name} missing`);
  return d;
}

const hello = doc("hello-world-cog-0.13.6-pydantic1");
const sink13 = doc("kitchen-sink-cog-0.13.6-pydantic1");
const sink15 = doc("kitchen-sink-cog-0.15.5-pydantic1");
const llm = doc("llm-concatenate-iterator-cog-0.13.6-pydantic1");
const sd = doc("stable-diffusion-replicate-fixture");
const structured = doc("structured-output-cog-0.13.6-pydantic1");
const variants = doc("cog-variants-synthetic");

function field(d: OpenApiDocument, name: string): InputField {
  const f = orderedProperties(d).find((p) => p.name === name);
  if (!f) throw new Error(`no input ${name}`);
  return f;
}

function errorPairs(r: ValidationResult): string[] {
  return r.ok ? [] : r.errors.map((e) => `${e.field}/${e.rule}`);
}

function okValue(r: ValidationResult): Record<string, unknown> {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.errors)}`);
  return r.value;
}

const IMAGE = "https://example.com/cat.png";
// The smallest input the kitchen sink accepts; table rows change one thing in it.
const sinkBase = { prompt: "a cat", image: IMAGE };

describe("every fixture", () => {
  test("all six real schemas are loaded", () => {
    expect(real.size).toBe(6);
  });

  // Generic property: an empty request fails exactly on the required inputs without a default,
  // and the defaults alone are accepted unchanged.
  test.each([...real.keys(), ...local.keys()])("%s: defaults pass, missing required inputs are reported", (name) => {
    const d = doc(name);
    const fields = orderedProperties(d);
    expect(fields.length).toBeGreaterThan(0);
    expect(inputSchema(d)?.title).toBe("Input");
    expect(outputSchema(d)?.title).toBe("Output");
    const mustGive = fields.filter((f) => f.required && !f.hasDefault).map((f) => `${f.name}/required`);
    expect(errorPairs(validateInput(d, defaultInput(d)))).toEqual(mustGive);
  });
});

describe("form fields", () => {
  test("kitchen sink: x-order order and widgets", () => {
    expect(orderedProperties(sink13).map((f) => [f.name, f.widget])).toEqual([
      ["prompt", "textarea"],
      ["negative_prompt", "textarea"],
      ["image", "file"],
      ["mask", "file"],
      ["extra_images", "array"],
      ["legacy_file", "file"],
      ["width", "select"],
      ["scheduler", "select"],
      ["steps", "slider"],
      ["guidance", "slider"],
      ["seed", "integer"],
      ["enhance", "boolean"],
      ["tags", "array"],
      ["version_code", "text"],
      ["api_key", "secret"],
    ]);
  });

  // The kitchen sink's JSON is already in x-order; stable-diffusion's is not, so this proves sorting.
  test("stable diffusion: sorted by x-order, not by JSON key order", () => {
    expect(orderedProperties(sd).map((f) => f.name)).toEqual([
      "prompt",
      "height",
      "width",
      "negative_prompt",
      "num_outputs",
      "num_inference_steps",
      "guidance_scale",
      "scheduler",
      "seed",
    ]);
  });

  test("inputs without x-order come last, by name", () => {
    expect(orderedProperties(variants).map((f) => f.name).slice(-3)).toEqual(["styles", "alpha", "zeta"]);
  });

  test("enum through allOf/$ref: values and type from the component, default/description from the property", () => {
    const width = field(sink13, "width");
    expect(width.enum).toEqual([256, 512, 768, 1024]);
    expect(width.default).toBe(512);
    expect(width.hasDefault).toBe(true);
    expect(width.schema.type).toBe("integer");
    expect(width.description).toBe("Output width");
    // The component's title is the Python enum name; the label comes from the input name.
    expect(width.title).toBe("Width");
    expect(field(sink13, "scheduler").enum).toEqual(["DDIM", "K_EULER", "DPMSolverMultistep"]);
    expect(field(sd, "scheduler").default).toBe("DPMSolverMultistep");
  });

  test("pydantic-2 enum rewrite: description from the component, no default invented", () => {
    const style = field(variants, "style");
    expect(style.description).toBe("Art style");
    expect(style.hasDefault).toBe(false);
    expect(style.required).toBe(true);
    expect(style.widget).toBe("select");
    expect("style" in defaultInput(variants)).toBe(false);
  });

  test("0.15.5 kitchen sink: nullable and deprecated", () => {
    expect(field(sink15, "negative_prompt").nullable).toBe(true);
    expect(field(sink15, "mask").nullable).toBe(true);
    expect(field(sink15, "prompt").nullable).toBe(false);
    expect(field(sink15, "old_param").deprecated).toBe(true);
    expect(field(sink15, "steps").deprecated).toBe(false);
    // 0.13.6 could not express Optional at all.
    expect(orderedProperties(sink13).some((f) => f.nullable || f.deprecated)).toBe(false);
  });

  test("anyOf with one non-null branch unwraps to that branch + nullable", () => {
    const caption = field(variants, "caption");
    expect([caption.schema.type, caption.nullable, caption.widget]).toEqual(["string", true, "text"]);
    const sampler = field(variants, "sampler");
    expect([sampler.enum, sampler.nullable, sampler.default]).toEqual([["euler", "ddim"], true, "euler"]);
    // pydantic 1's "An enumeration." docstring is noise, not help text.
    expect(sampler.description).toBe("");
    const count = field(variants, "count");
    expect([count.schema.type, count.nullable, count.hasDefault, count.default]).toEqual(["integer", true, true, null]);
    expect(effectiveProperty(variants, { anyOf: [{ type: "number" }, { type: "boolean" }] }).anyOf).toHaveLength(2);
    expect(field(variants, "value").widget).toBe("json");
  });

  test("stable diffusion (3.1.0, no required list): nothing required, defaults only where declared", () => {
    expect(sd.openapi).toBe("3.1.0");
    expect(orderedProperties(sd).some((f) => f.required)).toBe(false);
    const defaults = {
      prompt: "a vision of paradise. unreal engine",
      height: 768,
      width: 768,
      num_outputs: 1,
      num_inference_steps: 50,
      guidance_scale: 7.5,
      scheduler: "DPMSolverMultistep",
    };
    expect(defaultInput(sd)).toEqual(defaults);
    expect(okValue(validateInput(sd, {}))).toEqual(defaults);
  });
});

describe("output schema", () => {
  test("ConcatenateIterator[str] is an iterator shown concatenated", () => {
    const out = outputSchema(llm);
    expect([isIteratorOutput(out), isConcatenateOutput(out), isFileOutput(out)]).toEqual([true, true, false]);
    const plain = outputSchema(hello);
    expect([isIteratorOutput(plain), isConcatenateOutput(plain), isFileOutput(plain)]).toEqual([false, false, false]);
  });

  test("Path and List[Path] outputs are files", () => {
    expect(isFileOutput(outputSchema(sink13))).toBe(true);
    expect(isFileOutput(outputSchema(sd))).toBe(true);
    expect(isIteratorOutput(outputSchema(sd))).toBe(false);
  });

  test("structured BaseModel output is an object, also when reached through $ref", () => {
    const out = outputSchema(structured);
    expect(out?.type).toBe("object");
    expect(Object.keys(out?.properties ?? {})).toEqual(["caption", "score", "mask"]);
    expect(out?.required).toEqual(["caption", "score"]);
    expect(isFileOutput(out)).toBe(false);
    const viaRef = outputSchema(variants);
    expect([viaRef?.title, viaRef?.type, Object.keys(viaRef?.properties ?? {})]).toEqual(["Output", "object", ["image"]]);
  });
});

describe("validateInput", () => {
  test("the base input is valid, so each table row fails only for its own change", () => {
    expect(validateInput(sink15, sinkBase).ok).toBe(true);
  });

  // [label, document, input, field, rule, message?]
  type Row = [string, OpenApiDocument, Record<string, unknown>, string, string, string?];
  const rows: Row[] = [
    ["wrong type", sink15, { ...sinkBase, steps: "many" }, "steps", "type", "must be an integer"],
    ["fractional integer", sink15, { ...sinkBase, steps: 7.5 }, "steps", "type", "must be an integer"],
    ["wrong boolean", sink15, { ...sinkBase, enhance: "maybe" }, "enhance", "type"],
    ["missing required", sink15, { image: IMAGE }, "prompt", "required", "is required"],
    ["below minimum", sink15, { ...sinkBase, steps: 0 }, "steps", "minimum", "must be ≥ 1"],
    ["above maximum", sink15, { ...sinkBase, guidance: 20.5 }, "guidance", "maximum", "must be ≤ 20"],
    ["too long", sink15, { ...sinkBase, prompt: "x".repeat(501) }, "prompt", "maxLength", "must be at most 500 characters"],
    ["too short", sink15, { ...sinkBase, prompt: "" }, "prompt", "minLength", "must be at least 1 character"],
    ["pattern mismatch", sink15, { ...sinkBase, version_code: "1.2" }, "version_code", "pattern"],
    ["int not in enum", sink15, { ...sinkBase, width: 500 }, "width", "enum", "must be one of 256, 512, 768, 1024"],
    ["string not in enum", sink15, { ...sinkBase, scheduler: "PLMS" }, "scheduler", "enum"],
    ["bad uri scheme", sink15, { ...sinkBase, image: "ftp://example.com/a.png" }, "image", "format"],
    ["uri garbage", sink15, { ...sinkBase, image: "not a url" }, "image", "format"],
    ["array item wrong type", sink15, { ...sinkBase, tags: ["a", "b", { x: 1 }] }, "tags[2]", "type"],
    ["array item bad uri", sink15, { ...sinkBase, extra_images: [IMAGE, "javascript:alert(1)"] }, "extra_images[1]", "format"],
    ["null for non-nullable required", sink15, { ...sinkBase, prompt: null }, "prompt", "required"],
    ["null array item", sink15, { ...sinkBase, tags: ["a", null] }, "tags[1]", "nullable", "must not be null"],
    ["array item $ref enum", variants, { style: "photo", styles: ["anime", "cartoon"] }, "styles[1]", "enum"],
    ["null for non-nullable with default", sink15, { ...sinkBase, steps: null }, "steps", "nullable", "must not be null"],
    ["exclusive minimum (3.1 number)", variants, { style: "photo", strength: 0 }, "strength", "exclusiveMinimum", "must be > 0"],
    ["exclusive maximum (3.1 number)", variants, { style: "photo", strength: 1 }, "strength", "exclusiveMaximum", "must be < 1"],
    ["exclusive minimum (3.0 boolean)", variants, { style: "photo", ratio: 0 }, "ratio", "exclusiveMinimum"],
    ["too few items", variants, { style: "photo", images: [] }, "images", "minItems"],
    ["too many items", variants, { style: "photo", images: [IMAGE, IMAGE, IMAGE] }, "images", "maxItems"],
    ["object expected", variants, { style: "photo", options: [1] }, "options", "type"],
    ["no union branch matches", variants, { style: "photo", value: "abc" }, "value", "anyOf"],
  ];
  // One object per row: with a tuple, bun would hand a `done` callback to rows without a message.
  const cases = rows.map(([label, d, input, field, rule, message]) => ({ label, d, input, field, rule, message }));
  test.each(cases)("$label", ({ d, input, field: fieldName, rule, message }) => {
    const r = validateInput(d, input);
    expect(errorPairs(r)).toEqual([`${fieldName}/${rule}`]);
    if (message !== undefined && !r.ok) expect(r.errors[0].message).toBe(message);
  });

  test("collects every error at once, in x-order", () => {
    const r = validateInput(sink15, { prompt: "", image: "nope", width: 3, steps: 500, tags: [1, [2]], extra: 1 });
    expect(errorPairs(r)).toEqual(["prompt/minLength", "image/format", "width/enum", "steps/maximum", "tags[1]/type"]);
    expect(r.ignored).toEqual(["extra"]);
  });

  const loose = { ...sinkBase, steps: "7", guidance: "0.5", enhance: "true", width: "768", seed: "-3", tags: "solo" };

  test("coerce (default): pydantic-1 style strings and scalars become typed values", () => {
    const v = okValue(validateInput(sink15, loose));
    expect([v.steps, v.guidance, v.enhance, v.width, v.seed, v.tags]).toEqual([7, 0.5, true, 768, -3, ["solo"]]);
    expect(okValue(validateInput(sink15, { ...sinkBase, enhance: "0" })).enhance).toBe(false);
    expect(okValue(validateInput(sink15, { ...sinkBase, enhance: 1 })).enhance).toBe(true);
    expect(okValue(validateInput(variants, { style: "photo", value: "true" })).value).toBe(true);
  });

  test("coerce: false (coglet): types must match exactly", () => {
    const opts: ValidateOptions = { coerce: false };
    expect(errorPairs(validateInput(sink15, loose, opts))).toEqual([
      "width/type",
      "steps/type",
      "guidance/type",
      "seed/type",
      "enhance/type",
      "tags/type",
    ]);
    const exact = { ...sinkBase, steps: 7, guidance: 1, enhance: false, width: 768, tags: ["solo"] };
    expect(okValue(validateInput(sink15, exact, opts))).toMatchObject(exact);
  });

  test("defaults fill missing optional inputs; inputs without a default stay absent", () => {
    const v = okValue(validateInput(sink15, sinkBase));
    expect(v).toEqual({
      ...sinkBase,
      width: 512,
      scheduler: "K_EULER",
      steps: 25,
      guidance: 7.5,
      enhance: false,
      version_code: "v1.0",
      old_param: "x",
    });
    // The 0.19+ `default: null` is the same as absent.
    expect("count" in okValue(validateInput(variants, { style: "photo" }))).toBe(false);
  });

  test("null: kept when nullable, treated as unset for a default=None input", () => {
    const v = okValue(validateInput(sink15, { ...sinkBase, negative_prompt: null, seed: null }));
    expect(v.negative_prompt).toBeNull();
    expect("seed" in v).toBe(false);
  });

  test("unknown keys are dropped and reported as ignored", () => {
    const r = validateInput(sink15, { ...sinkBase, foo: 1, bar: "x" });
    expect(r.ignored).toEqual(["foo", "bar"]);
    expect(Object.keys(okValue(r))).not.toContain("foo");
  });

  test("null input means {}; a non-object input is one error", () => {
    expect(errorPairs(validateInput(hello, null))).toEqual(["text/required"]);
    expect(errorPairs(validateInput(hello, "hi"))).toEqual(["/type"]);
  });
});

describe("coerceFormValues", () => {
  const photo: FileLike = { name: "cat.png", size: 3, type: "image/png" };

  test("form strings become typed input; empty optional fields and files are handled", () => {
    const raw = coerceFormValues(sink15, {
      prompt: "a cat",
      negative_prompt: "",
      image: photo,
      steps: "30",
      guidance: " 2.5 ",
      enhance: true,
      seed: "",
      width: "768",
      tags: ["a", "", "b"],
      extra_images: [],
      mystery: "x",
    });
    expect(raw).toEqual({ prompt: "a cat", image: photo, steps: 30, guidance: 2.5, enhance: true, width: 768, tags: ["a", "b"], mystery: "x" });
    expect(raw.image).toBe(photo);
    const r = validateInput(sink15, raw, { coerce: false, allowFileObjects: true });
    expect(r.ignored).toEqual(["mystery"]);
    expect(r.ok).toBe(true);
    // Without the option a File object is not a URL the container could fetch.
    expect(errorPairs(validateInput(sink15, raw))).toEqual(["image/type"]);
  });

  test("CLI -i values: single or JSON lists, booleans, JSON objects and unions", () => {
    expect(coerceFormValues(sink15, { extra_images: IMAGE, tags: '["x","y"]', enhance: "yes" })).toEqual({
      extra_images: [IMAGE],
      tags: ["x", "y"],
      enhance: true,
    });
    expect(coerceFormValues(variants, { options: '{"a":1}', value: "7", count: "", caption: "  " })).toEqual({
      options: { a: 1 },
      value: 7,
      caption: "  ",
    });
  });

  test("unparsable text is left for validation to report; required empties behave like Cog", () => {
    const raw = coerceFormValues(sink15, { ...sinkBase, steps: "abc" });
    expect(raw.steps).toBe("abc");
    expect(errorPairs(validateInput(sink15, raw))).toEqual(["steps/type"]);
    // "" is a real value for a required str (hello world accepts it) ...
    expect(okValue(validateInput(hello, coerceFormValues(hello, { text: "" })))).toEqual({ text: "" });
    // ... but the kitchen sink's prompt has min_length=1.
    expect(errorPairs(validateInput(sink15, coerceFormValues(sink15, { prompt: "", image: IMAGE })))).toEqual([
      "prompt/minLength",
    ]);
  });
});
