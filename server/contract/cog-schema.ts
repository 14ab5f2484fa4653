// Reading a Cog OpenAPI document: the one `$ref` resolver and the one rule for what an output is
// (iterator, concatenated text, files). The server (predictions, files), the web form and the CLI
// all use these functions, so the rule that is tested is the rule that runs.
//
// Deliberately import-free: the web bundle and the CLI include this file. Documents are untrusted
// JSON, so every field is read defensively. The shapes handled are described in docs/cog-schemas.md.

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

/** Enum values Cog emits: `choices=[...]` of str or int. */
export type EnumValue = string | number;

const REF_PREFIX = "#/components/schemas/";
// Refs can chain or (in a broken document) loop; this bounds the walk.
const MAX_DEPTH = 32;
// pydantic 1 gives every Enum component this docstring; it is noise, not help text.
const ENUM_BOILERPLATE = "An enumeration.";

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export function schemaList(v: unknown): JsonSchema[] | undefined {
  return Array.isArray(v) ? v.filter(isRecord) : undefined;
}

export function isOpenApiDocument(v: unknown): v is OpenApiDocument {
  return isRecord(v) && isRecord(v.components) && isRecord(v.components.schemas);
}

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
export function schemaType(s: JsonSchema): string | undefined {
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

export function enumValues(s: JsonSchema): EnumValue[] | undefined {
  if (!Array.isArray(s.enum)) return undefined;
  return s.enum.filter((v): v is EnumValue => typeof v === "string" || typeof v === "number");
}

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

/** What a version's output is, as the server needs it: an iterator (streamed as a growing list;
 *  the stream URL goes under /v1/files/ when its items are files) and whether its values are files. */
export interface OutputKind {
  schema: JsonSchema | undefined;
  iterator: boolean;
  fileOutput: boolean;
}

export function outputKind(doc: OpenApiDocument): OutputKind {
  const schema = outputSchema(doc);
  return { schema, iterator: isIteratorOutput(schema), fileOutput: isFileOutput(schema) };
}
