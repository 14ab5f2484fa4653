// Validation and coercion of a prediction input the way the Cog server would: pydantic-1 servers
// coerce ("7" → 7), drop unknown keys and report every error at once; `coerce: false` gives the
// strict JSON-typed behaviour of coglet (Cog 0.17+). Import-free apart from its siblings (the web
// bundle and the CLI include it).
import { enumValues, isRecord, type JsonSchema, num, type OpenApiDocument, schemaList, schemaType, str } from "./cog-schema.ts";
import { orderedProperties } from "./input-fields.ts";

/** Each rule is the schema keyword that was violated (plus `required`/`nullable`). */
export type ValidationRule =
  | "type"
  | "required"
  | "nullable"
  | "minimum"
  | "maximum"
  | "exclusiveMinimum"
  | "exclusiveMaximum"
  | "minLength"
  | "maxLength"
  | "pattern"
  | "enum"
  | "format"
  | "minItems"
  | "maxItems"
  | "anyOf";

export interface ValidationError {
  /** Input name; array items as `images[2]`; "" for the input object itself. */
  field: string;
  rule: ValidationRule;
  /** Short and human. Never contains the submitted value (it may be a secret). */
  message: string;
}

export interface ValidateOptions {
  /** pydantic-1 style coercion of strings/scalars (default true). false = coglet-strict JSON types. */
  coerce?: boolean;
  /** Let File/Blob objects stand in for `format: uri` values (the web form validates before uploading). */
  allowFileObjects?: boolean;
}

export type ValidationResult =
  | { ok: true; value: Record<string, unknown>; ignored: string[] }
  | { ok: false; errors: ValidationError[]; ignored: string[] };

/** What a browser File, a Bun File or a CLI stand-in looks like. */
export interface FileLike {
  readonly name: string;
  readonly size: number;
  readonly type: string;
}

export function isFileLike(v: unknown): v is FileLike {
  if (typeof Blob !== "undefined" && v instanceof Blob) return true;
  return isRecord(v) && typeof v.name === "string" && typeof v.size === "number" && typeof v.type === "string";
}

const INTEGER_TEXT = /^[+-]?\d+$/;
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
// pydantic 1 bool_validator's accepted strings.
const TRUE_TEXT = new Set(["1", "on", "t", "true", "y", "yes"]);
const FALSE_TEXT = new Set(["0", "off", "f", "false", "n", "no"]);

export function parseIntegerText(s: string): number | undefined {
  const t = s.trim();
  return INTEGER_TEXT.test(t) ? Number(t) : undefined;
}

export function parseNumberText(s: string): number | undefined {
  const t = s.trim();
  return NUMBER_TEXT.test(t) ? Number(t) : undefined;
}

export function parseBooleanText(s: string): boolean | undefined {
  const t = s.trim().toLowerCase();
  return TRUE_TEXT.has(t) ? true : FALSE_TEXT.has(t) ? false : undefined;
}
interface Ctx {
  coerce: boolean;
  allowFileObjects: boolean;
  errors: ValidationError[];
}

// Distinguishes "invalid" from a legitimately undefined/null value.
const INVALID: unique symbol = Symbol("invalid");

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function isAcceptedUrl(s: string): boolean {
  // Cog's Path/File inputs take http(s) URLs (downloaded in the container) or data: URLs.
  if (/^data:/i.test(s)) return /^data:[^,]*,/i.test(s);
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return false;
  }
  return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
}

function compilePattern(pattern: string): RegExp | undefined {
  try {
    // Python named groups `(?P<x>` are the one common syntax JS lacks.
    return new RegExp(pattern.replace(/\(\?P</g, "(?<"));
  } catch {
    return undefined; // the container validates again; do not reject on our own limitation
  }
}

function fail(ctx: Ctx, field: string, rule: ValidationRule, message: string): typeof INVALID {
  ctx.errors.push({ field, rule, message });
  return INVALID;
}

function checkType(s: JsonSchema, value: unknown, field: string, ctx: Ctx): unknown {
  const type = schemaType(s);
  switch (type) {
    case undefined:
      return value;
    case "string":
      if (typeof value === "string") return value;
      if (s.format === "uri" && ctx.allowFileObjects && isFileLike(value)) return value;
      // pydantic 1's str validator accepts numbers (str(7) → "7").
      if (ctx.coerce && typeof value === "number" && Number.isFinite(value)) return String(value);
      return fail(ctx, field, "type", "must be a string");
    case "integer": {
      if (typeof value === "number" && Number.isInteger(value)) return value;
      const n = ctx.coerce && typeof value === "string" ? parseIntegerText(value) : undefined;
      return n !== undefined ? n : fail(ctx, field, "type", "must be an integer");
    }
    case "number": {
      if (typeof value === "number" && Number.isFinite(value)) return value;
      const n = ctx.coerce && typeof value === "string" ? parseNumberText(value) : undefined;
      return n !== undefined ? n : fail(ctx, field, "type", "must be a number");
    }
    case "boolean": {
      if (typeof value === "boolean") return value;
      if (ctx.coerce && (value === 0 || value === 1)) return value === 1;
      const b = ctx.coerce && typeof value === "string" ? parseBooleanText(value) : undefined;
      return b !== undefined ? b : fail(ctx, field, "type", "must be true or false");
    }
    case "array": {
      let list: unknown[];
      if (Array.isArray(value)) list = value;
      else if (ctx.coerce) list = [value]; // one `-i tags=x` means a one-element list
      else return fail(ctx, field, "type", "must be a list");
      const items = isRecord(s.items) ? s.items : {};
      const out: unknown[] = [];
      let ok = true;
      list.forEach((item, i) => {
        const v = checkValue(items, item, `${field}[${i}]`, ctx);
        if (v === INVALID) ok = false;
        else out.push(v);
      });
      return ok ? out : INVALID;
    }
    case "object":
      return isRecord(value) ? value : fail(ctx, field, "type", "must be an object");
    case "null":
      return value === null ? null : fail(ctx, field, "type", "must be null");
    default:
      return value; // a type we do not know: leave it to the container
  }
}

function checkConstraints(s: JsonSchema, value: unknown, field: string, ctx: Ctx): boolean {
  const before = ctx.errors.length;
  const values = enumValues(s);
  if (values && values.length > 0 && !values.some((e) => e === value)) {
    fail(ctx, field, "enum", `must be one of ${values.join(", ")}`);
  }
  if (typeof value === "number") {
    const min = num(s.minimum);
    const max = num(s.maximum);
    // OpenAPI 3.0 spells exclusive bounds as booleans next to minimum/maximum, 3.1 as numbers.
    const exMin = s.exclusiveMinimum === true ? min : num(s.exclusiveMinimum);
    const exMax = s.exclusiveMaximum === true ? max : num(s.exclusiveMaximum);
    if (exMin !== undefined && value <= exMin) fail(ctx, field, "exclusiveMinimum", `must be > ${exMin}`);
    else if (s.exclusiveMinimum !== true && min !== undefined && value < min) fail(ctx, field, "minimum", `must be ≥ ${min}`);
    if (exMax !== undefined && value >= exMax) fail(ctx, field, "exclusiveMaximum", `must be < ${exMax}`);
    else if (s.exclusiveMaximum !== true && max !== undefined && value > max) fail(ctx, field, "maximum", `must be ≤ ${max}`);
  }
  if (typeof value === "string") {
    // Python's len() counts code points, not UTF-16 units.
    const length = [...value].length;
    const minLength = num(s.minLength);
    const maxLength = num(s.maxLength);
    if (minLength !== undefined && length < minLength) {
      fail(ctx, field, "minLength", `must be at least ${plural(minLength, "character")}`);
    }
    if (maxLength !== undefined && length > maxLength) {
      fail(ctx, field, "maxLength", `must be at most ${plural(maxLength, "character")}`);
    }
    const pattern = str(s.pattern);
    const re = pattern !== undefined ? compilePattern(pattern) : undefined;
    if (pattern !== undefined && re && !re.test(value)) fail(ctx, field, "pattern", `must match ${pattern}`);
    if (s.format === "uri" && !isAcceptedUrl(value)) {
      fail(ctx, field, "format", "must be an http(s):// or data: URL");
    }
  }
  if (Array.isArray(value)) {
    const minItems = num(s.minItems);
    const maxItems = num(s.maxItems);
    if (minItems !== undefined && value.length < minItems) {
      fail(ctx, field, "minItems", `must have at least ${plural(minItems, "item")}`);
    }
    if (maxItems !== undefined && value.length > maxItems) {
      fail(ctx, field, "maxItems", `must have at most ${plural(maxItems, "item")}`);
    }
  }
  return ctx.errors.length === before;
}

function checkValue(s: JsonSchema, value: unknown, field: string, ctx: Ctx): unknown {
  if (value === null) {
    return s.nullable === true || s.type === "null" ? null : fail(ctx, field, "nullable", "must not be null");
  }
  const branches = schemaList(s.anyOf);
  if (branches && branches.length > 0 && schemaType(s) === undefined) {
    // A real union: the first branch that accepts the value wins (as pydantic tries left to right).
    for (const branch of branches) {
      const scratch: Ctx = { ...ctx, errors: [] };
      const v = checkValue(branch, value, field, scratch);
      if (v !== INVALID) return v;
    }
    return fail(ctx, field, "anyOf", "does not match any allowed type");
  }
  const typed = checkType(s, value, field, ctx);
  if (typed === INVALID) return INVALID;
  return checkConstraints(s, typed, field, ctx) ? typed : INVALID;
}

/** Validates (and with `coerce`, converts) a prediction input the way the Cog server would.
 *  Collects every error; drops unknown keys into `ignored`; fills in declared defaults. */
export function validateInput(doc: OpenApiDocument, input: unknown, opts: ValidateOptions = {}): ValidationResult {
  const ctx: Ctx = { coerce: opts.coerce ?? true, allowFileObjects: opts.allowFileObjects ?? false, errors: [] };
  // Cog treats an omitted or null input as {}.
  const given = input === undefined || input === null ? {} : input;
  if (!isRecord(given)) {
    return { ok: false, errors: [{ field: "", rule: "type", message: "input must be an object" }], ignored: [] };
  }
  const fields = orderedProperties(doc);
  const known = new Set(fields.map((f) => f.name));
  const ignored = Object.keys(given).filter((k) => !known.has(k));
  const value: Record<string, unknown> = {};

  for (const f of fields) {
    const raw = Object.hasOwn(given, f.name) ? given[f.name] : undefined;
    const usableDefault = f.hasDefault && f.default !== null;
    if (raw === undefined) {
      if (usableDefault) value[f.name] = structuredClone(f.default);
      else if (f.required) fail(ctx, f.name, "required", "is required");
      continue;
    }
    if (raw === null && !f.nullable) {
      if (f.required && !f.hasDefault) fail(ctx, f.name, "required", "is required");
      else if (usableDefault) fail(ctx, f.name, "nullable", "must not be null");
      // Otherwise a `x = Input(default=None)` input, implicitly Optional in pydantic 1: null = unset.
      continue;
    }
    const checked = checkValue(f.schema, raw, f.name, ctx);
    if (checked !== INVALID) value[f.name] = checked;
  }
  return ctx.errors.length > 0 ? { ok: false, errors: ctx.errors, ignored } : { ok: true, value, ignored };
}
