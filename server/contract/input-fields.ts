// Inputs as a form or the CLI presents them: ordered, labelled, with a widget per input and the
// defaults Cog would fill in. Import-free apart from cog-schema.ts (the web bundle includes it).
import { effectiveProperty, enumValues, type EnumValue, inputSchema, isRecord, type JsonSchema, num, type OpenApiDocument, schemaType, str } from "./cog-schema.ts";

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

// maxLength from which a string input deserves a multi-line box.
const TEXTAREA_MIN_LENGTH = 256;

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
