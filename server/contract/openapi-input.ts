// Owns reading a Cog OpenAPI document's Input/Output schemas: form fields, defaults, coercion and validation of prediction inputs.
//
// Deliberately import-free: the server, the Preact web form and the CLI all bundle this file.
// Behaviour follows the pydantic-1 Cog servers (coerce "7" → 7, drop unknown keys, report every
// error at once); `coerce: false` gives the strict JSON-typed behaviour of coglet (Cog 0.17+).
// The schema shapes and version differences it handles: docs/cog-schemas.md.

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/** A JSON Schema / OpenAPI schema object as Cog emits it. Documents are untrusted JSON, so every
 *  field is read defensively even though it is typed here. */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  allOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  nullable?: boolean;
  deprecated?: boolean;
  "x-order"?: number;
  "x-cog-secret"?: boolean;
  "x-cog-accept"?: string;
  "x-cog-array-type"?: string;
  "x-cog-array-display"?: string;
  [key: string]: unknown;
}

export interface OpenApiDocument {
  openapi?: string;
  components?: { schemas?: Record<string, JsonSchema>; [key: string]: unknown };
  [key: string]: unknown;
}

export type Widget =
  | "file"
  | "secret"
  | "text"
  | "textarea"
  | "integer"
  | "number"
  | "slider"
  | "boolean"
  | "select"
  | "array"
  | "json";

/** Enum values Cog emits: `choices=[...]` of str or int. */
export type EnumValue = string | number;

/** One input as a form/CLI should present it. */
export interface InputField {
  name: string;
  /** The effective schema: `$ref`/`allOf` resolved, one-branch `anyOf` unwrapped. */
  schema: JsonSchema;
  /** Listed in `Input.required`. */
  required: boolean;
  /** The property's own title, else the name title-cased like Cog does (`num_outputs` → `Num Outputs`). */
  title: string;
  /** "" when the schema has none. */
  description: string;
  /** Present only when `hasDefault` (a default may legitimately be `null` on 0.19+ schemas). */
  default?: unknown;
  hasDefault: boolean;
  enum?: EnumValue[];
  nullable: boolean;
  deprecated: boolean;
  widget: Widget;
}

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

export type FormValue = string | boolean | FileLike | readonly (string | FileLike)[];

// ---------------------------------------------------------------------------------------------
// Small readers (documents are untrusted JSON)
// ---------------------------------------------------------------------------------------------

const REF_PREFIX = "#/components/schemas/";
// Refs can chain or (in a broken document) loop; this bounds the walk.
const MAX_DEPTH = 32;
// pydantic 1 gives every Enum component this docstring; it is noise, not help text.
const ENUM_BOILERPLATE = "An enumeration.";
// maxLength from which a string input deserves a multi-line box.
const TEXTAREA_MIN_LENGTH = 256;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function schemaList(v: unknown): JsonSchema[] | undefined {
  return Array.isArray(v) ? v.filter(isRecord) : undefined;
}

export function isOpenApiDocument(v: unknown): v is OpenApiDocument {
  return isRecord(v) && isRecord(v.components) && isRecord(v.components.schemas);
}

export function isFileLike(v: unknown): v is FileLike {
  if (typeof Blob !== "undefined" && v instanceof Blob) return true;
  return isRecord(v) && typeof v.name === "string" && typeof v.size === "number" && typeof v.type === "string";
}

// ---------------------------------------------------------------------------------------------
// Refs and effective schemas
// ---------------------------------------------------------------------------------------------

function lookupRef(doc: OpenApiDocument, ref: string): JsonSchema | undefined {
  // Only local component refs occur in Cog documents (docs/cog-schemas.md, References).
  if (!ref.startsWith(REF_PREFIX)) return undefined;
  const name = ref.slice(REF_PREFIX.length).replace(/~1/g, "/").replace(/~0/g, "~");
  const schemas = doc.components?.schemas;
  const target = isRecord(schemas) ? schemas[name] : undefined;
  return isRecord(target) ? target : undefined;
}

/** Follows a `$ref` (chains too). Sibling keys next to `$ref` win over the target, as OpenAPI 3.1
 *  allows and Cog relies on (`{"$ref": ..., "title": "Output"}`). Unresolvable refs are returned as is. */
export function resolveRef(doc: OpenApiDocument, schema: JsonSchema): JsonSchema {
  let current = schema;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const ref = str(current.$ref);
    if (ref === undefined) return current;
    const target = lookupRef(doc, ref);
    if (!target) return current;
    const { $ref: _ref, ...siblings } = current;
    current = { ...target, ...siblings };
  }
  return current;
}

export function inputSchema(doc: OpenApiDocument): JsonSchema | undefined {
  const input = doc.components?.schemas?.Input;
  return isRecord(input) ? resolveRef(doc, input) : undefined;
}

// A referenced component's `title` is the Python type name (`width`, `MyOutput`), not a label,
// and its pydantic-1 description is boilerplate: keep neither when merging it into a property.
function withoutLabels(s: JsonSchema): JsonSchema {
  const { title: _title, ...rest } = s;
  if (rest.description === ENUM_BOILERPLATE) delete rest.description;
  return rest;
}

function isNullSchema(s: JsonSchema): boolean {
  return s.type === "null" || (Array.isArray(s.enum) && s.enum.length === 1 && s.enum[0] === null);
}

function effective(doc: OpenApiDocument, prop: JsonSchema, depth: number): JsonSchema {
  if (depth > MAX_DEPTH) return prop;
  const { $ref, allOf, anyOf, ...own } = prop;
  let base: JsonSchema = {};
  let nullable = own.nullable === true;

  const ref = str($ref);
  if (ref !== undefined) {
    const target = lookupRef(doc, ref);
    if (target) base = { ...base, ...withoutLabels(effective(doc, target, depth + 1)) };
    else own.$ref = ref; // keep what we cannot resolve visible rather than silently dropping it
  }
  for (const part of schemaList(allOf) ?? []) {
    base = { ...base, ...withoutLabels(effective(doc, part, depth + 1)) };
  }
  const branches = schemaList(anyOf);
  if (branches) {
    const resolved = branches.map((b) => effective(doc, b, depth + 1));
    const nonNull = resolved.filter((b) => !isNullSchema(b));
    if (nonNull.length < resolved.length) nullable = true;
    // `Optional[T]` (pydantic 2, Cog 0.21 unions) → T + nullable; real unions stay an anyOf.
    if (nonNull.length === 1) base = { ...base, ...withoutLabels(nonNull[0]) };
    else own.anyOf = nonNull;
  }

  const out: JsonSchema = { ...base, ...own };
  // JSON Schema 2020 spelling of nullable: `"type": ["integer", "null"]`.
  if (Array.isArray(out.type)) {
    const types = out.type.filter((t): t is string => typeof t === "string");
    if (types.includes("null")) nullable = true;
    const rest = types.filter((t) => t !== "null");
    if (rest.length === 1) out.type = rest[0];
    else if (rest.length === 0) delete out.type;
    else out.type = rest;
  }
  if (nullable) out.nullable = true;
  if (isRecord(out.items)) out.items = effective(doc, out.items, depth + 1);
  return out;
}

/** The property as a form sees it: `$ref`/`allOf` merged (the property's own `default`/`description`
 *  win over the component), `anyOf` with one non-null branch unwrapped into that branch + nullable,
 *  array `items` resolved the same way. */
export function effectiveProperty(doc: OpenApiDocument, prop: JsonSchema): JsonSchema {
  return effective(doc, prop, 0);
}

/** The JSON type a value must have; inferred from `enum` values when `type` is missing
 *  (pydantic-2 enum components sometimes omit it). undefined = anything goes. */
function schemaType(s: JsonSchema): string | undefined {
  if (typeof s.type === "string") return s.type;
  const values = enumValues(s);
  if (values && values.length > 0) {
    if (values.every((v) => typeof v === "string")) return "string";
    if (values.every((v) => Number.isInteger(v))) return "integer";
    if (values.every((v) => typeof v === "number")) return "number";
  }
  if (isRecord(s.items)) return "array";
  if (isRecord(s.properties)) return "object";
  return undefined;
}

function enumValues(s: JsonSchema): EnumValue[] | undefined {
  if (!Array.isArray(s.enum)) return undefined;
  return s.enum.filter((v): v is EnumValue => typeof v === "string" || typeof v === "number");
}

// ---------------------------------------------------------------------------------------------
// Form fields
// ---------------------------------------------------------------------------------------------

function titleCase(name: string): string {
  return name
    .split("_")
    .filter((w) => w !== "")
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join(" ");
}

function lowerBound(s: JsonSchema): number | undefined {
  return num(s.minimum) ?? num(s.exclusiveMinimum);
}

function upperBound(s: JsonSchema): number | undefined {
  return num(s.maximum) ?? num(s.exclusiveMaximum);
}

function pickWidget(name: string, s: JsonSchema): Widget {
  // Secret first: whatever else it is, it must be a masked field.
  if (s["x-cog-secret"] === true || s.format === "password") return "secret";
  if (enumValues(s)?.length) return "select";
  switch (schemaType(s)) {
    case "string":
      if (s.format === "uri") return "file";
      if (/prompt/i.test(name) || (num(s.maxLength) ?? 0) >= TEXTAREA_MIN_LENGTH) return "textarea";
      return "text";
    case "integer":
    case "number":
      if (lowerBound(s) !== undefined && upperBound(s) !== undefined) return "slider";
      return schemaType(s) === "integer" ? "integer" : "number";
    case "boolean":
      return "boolean";
    case "array":
      return "array";
    default:
      // objects, real unions and untyped inputs: let the user type JSON
      return "json";
  }
}

function requiredNames(schema: JsonSchema | undefined): Set<string> {
  // Absent entirely when nothing is required (stable-diffusion fixture).
  const list = schema && Array.isArray(schema.required) ? schema.required : [];
  return new Set(list.filter((n): n is string => typeof n === "string"));
}

/** Inputs in `x-order` order (missing x-order last, ties by name). */
export function orderedProperties(doc: OpenApiDocument): InputField[] {
  const input = inputSchema(doc);
  const props = input && isRecord(input.properties) ? input.properties : {};
  const required = requiredNames(input);
  const fields: { field: InputField; order: number }[] = [];
  for (const [name, raw] of Object.entries(props)) {
    if (!isRecord(raw)) continue;
    const schema = effectiveProperty(doc, raw);
    const hasDefault = Object.hasOwn(schema, "default");
    const field: InputField = {
      name,
      schema,
      required: required.has(name),
      title: str(raw.title) ?? titleCase(name),
      description: str(schema.description) ?? "",
      hasDefault,
      nullable: schema.nullable === true,
      deprecated: schema.deprecated === true,
      widget: pickWidget(name, schema),
    };
    if (hasDefault) field.default = schema.default;
    const values = enumValues(schema);
    if (values) field.enum = values;
    fields.push({ field, order: num(schema["x-order"]) ?? Number.POSITIVE_INFINITY });
  }
  fields.sort((a, b) =>
    a.order !== b.order ? a.order - b.order : a.field.name < b.field.name ? -1 : a.field.name > b.field.name ? 1 : 0,
  );
  return fields.map((f) => f.field);
}

/** What Cog would fill in for an empty request: only inputs that declare a default. Nothing is
 *  invented (no first enum value, no zero). `default: null` is left out, since a missing optional
 *  input means None anyway and omitting keeps the request valid on strict servers. */
export function defaultInput(doc: OpenApiDocument): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of orderedProperties(doc)) {
    if (f.hasDefault && f.default !== null) out[f.name] = structuredClone(f.default);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

export function outputSchema(doc: OpenApiDocument): JsonSchema | undefined {
  const output = doc.components?.schemas?.Output;
  // A BaseModel not named Output arrives as {"$ref": ..., "title": "Output"}; keep the target's
  // properties but the "Output" title, so do not strip labels here.
  return isRecord(output) ? effectiveProperty(doc, resolveRef(doc, output)) : undefined;
}

/** `Iterator[T]` / `ConcatenateIterator[str]`: output arrives as a growing list. */
export function isIteratorOutput(schema: JsonSchema | undefined): boolean {
  return schema?.["x-cog-array-type"] === "iterator";
}

/** `ConcatenateIterator[str]`: join the list for display. */
export function isConcatenateOutput(schema: JsonSchema | undefined): boolean {
  return schemaType(schema ?? {}) === "array" && schema?.["x-cog-array-display"] === "concatenate";
}

/** `Path`/`File` or a list of them: the output value(s) are URLs to download or preview. */
export function isFileOutput(schema: JsonSchema | undefined): boolean {
  if (!schema) return false;
  const t = schemaType(schema);
  if (t === "string") return schema.format === "uri";
  if (t === "array" && isRecord(schema.items)) return isFileOutput(schema.items);
  return false;
}

// ---------------------------------------------------------------------------------------------
// Scalar parsing shared by validation (coerce mode) and form coercion
// ---------------------------------------------------------------------------------------------

const INTEGER_TEXT = /^[+-]?\d+$/;
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
// pydantic 1 bool_validator's accepted strings.
const TRUE_TEXT = new Set(["1", "on", "t", "true", "y", "yes"]);
const FALSE_TEXT = new Set(["0", "off", "f", "false", "n", "no"]);

function parseIntegerText(s: string): number | undefined {
  const t = s.trim();
  return INTEGER_TEXT.test(t) ? Number(t) : undefined;
}

function parseNumberText(s: string): number | undefined {
  const t = s.trim();
  return NUMBER_TEXT.test(t) ? Number(t) : undefined;
}

function parseBooleanText(s: string): boolean | undefined {
  const t = s.trim().toLowerCase();
  return TRUE_TEXT.has(t) ? true : FALSE_TEXT.has(t) ? false : undefined;
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Form / CLI strings
// ---------------------------------------------------------------------------------------------

function parseJsonText(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

// Converts one text value to the schema's type; returns the text unchanged when it does not parse,
// so validateInput reports it with the field's real rule instead of this function guessing.
function convertText(s: JsonSchema, text: string): unknown {
  switch (schemaType(s)) {
    case "integer":
      return parseIntegerText(text) ?? text;
    case "number":
      return parseNumberText(text) ?? text;
    case "boolean":
      return parseBooleanText(text) ?? text;
    case "object":
      return parseJsonText(text) ?? text;
    case undefined:
      // Unions/untyped inputs: JSON if it parses (`7`, `{"a":1}`), else the plain string.
      return parseJsonText(text) ?? text;
    default:
      return text;
  }
}

function convertItems(items: JsonSchema, list: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const item of list) {
    if (typeof item === "string") {
      if (item.trim() === "") continue; // an empty row in a repeatable list is not a value
      out.push(convertText(items, item));
    } else {
      out.push(item);
    }
  }
  return out;
}

/** Turns web-form / `cli -i key=value` values into JSON-typed input for validateInput: numbers and
 *  booleans parsed by the property's type, empty optional fields omitted, files left alone,
 *  array fields built from repeated values (or a JSON array). Unknown keys pass through so that
 *  validateInput can report them as ignored. */
export function coerceFormValues(
  doc: OpenApiDocument,
  raw: Readonly<Record<string, FormValue>>,
): Record<string, unknown> {
  const byName = new Map(orderedProperties(doc).map((f) => [f.name, f]));
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(raw)) {
    const f = byName.get(name);
    if (!f || isFileLike(v) || typeof v === "boolean") {
      out[name] = v;
      continue;
    }
    const type = schemaType(f.schema);
    const optional = !f.required || f.hasDefault;
    if (type === "array") {
      const items = isRecord(f.schema.items) ? f.schema.items : {};
      let list: readonly unknown[];
      if (typeof v === "string") {
        const parsed = v.trim().startsWith("[") ? parseJsonText(v) : undefined;
        list = Array.isArray(parsed) ? parsed : [v];
      } else {
        list = v;
      }
      const converted = convertItems(items, list);
      if (converted.length === 0 && optional) continue;
      out[name] = converted;
      continue;
    }
    if (typeof v !== "string") {
      // Several values for a single-valued input: one is fine, more is left for validation to reject.
      if (v.length === 1) {
        const only = v[0];
        out[name] = typeof only === "string" ? convertText(f.schema, only) : only;
      } else {
        out[name] = v;
      }
      continue;
    }
    // Whitespace is content in a prompt, but a blank number box is just blank.
    if (type === "string" ? v === "" : v.trim() === "") {
      // An empty box on an optional input means "not set"; on a required string "" is a real value,
      // on a required number it is missing (so the user sees "is required").
      if (optional || type !== "string") continue;
      out[name] = v;
      continue;
    }
    out[name] = convertText(f.schema, v);
  }
  return out;
}
