// Web-form fields and `modelhub predict -i key=value` strings turned into JSON-typed input, ready
// for validateInput. Import-free apart from its siblings (the web bundle and the CLI include it).
import { isRecord, type JsonSchema, type OpenApiDocument, schemaType } from "./cog-schema.ts";
import { orderedProperties } from "./input-fields.ts";
import { type FileLike, isFileLike, parseBooleanText, parseIntegerText, parseNumberText } from "./input-validation.ts";

export type FormValue = string | boolean | FileLike | readonly (string | FileLike)[];

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
