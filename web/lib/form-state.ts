// The playground form's values: one raw value per input (what the widgets hold), their starting
// values from the schema, and the last inputs per model kept in localStorage (secrets never are).
// Pure functions over the shared schema module, so they are unit-tested against every fixture schema.
import { type OpenApiDocument } from "../../server/contract/cog-schema.ts";
import { coerceFormValues, type FormValue } from "../../server/contract/form-values.ts";
import { orderedProperties, type InputField } from "../../server/contract/input-fields.ts";
import { validateInput } from "../../server/contract/input-validation.ts";

export type Values = Record<string, FormValue>;

/** The widget's starting value for a field: its default, shaped the way the widget holds it. */
export function initialValue(f: InputField): FormValue {
  const d = f.hasDefault ? f.default : undefined;
  if (f.widget === "boolean") return d === true;
  if (f.widget === "array") return Array.isArray(d) ? d.map((x) => (typeof x === "string" ? x : JSON.stringify(x))) : [];
  if (d === undefined || d === null) return "";
  if (f.widget === "json") return JSON.stringify(d, null, 2);
  return typeof d === "string" ? d : JSON.stringify(d);
}

export function initialValues(fields: readonly InputField[]): Values {
  return Object.fromEntries(fields.map((f) => [f.name, initialValue(f)]));
}

/** Raw widget values from a prediction's (JSON-typed) input, for Tweak it and saved inputs. */
export function valuesFromInput(fields: readonly InputField[], input: Record<string, unknown>): Values {
  const out = initialValues(fields);
  for (const f of fields) {
    if (!(f.name in input)) continue;
    const v = input[f.name];
    if (f.widget === "boolean") out[f.name] = v === true;
    else if (f.widget === "array") out[f.name] = Array.isArray(v) ? v.map((x) => (typeof x === "string" ? x : JSON.stringify(x))) : [];
    else if (v === null || v === undefined) out[f.name] = "";
    else if (f.widget === "json") out[f.name] = JSON.stringify(v, null, 2);
    else out[f.name] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
}

export type CheckResult = { ok: true; input: Record<string, unknown> } | { ok: false; errors: Record<string, string> };

/** The same validation the server runs, on the form's values; errors keyed by input name. */
export function checkValues(doc: OpenApiDocument, values: Values): CheckResult {
  const raw: Values = {};
  for (const [k, v] of Object.entries(values)) raw[k] = Array.isArray(v) ? v.filter((x) => x !== "") : v;
  const r = validateInput(doc, coerceFormValues(doc, raw));
  // Cog accepts "" for a required str, but an untouched empty box is a forgotten input, not a choice.
  const blank = orderedProperties(doc)
    .filter((f) => f.required && !f.hasDefault && raw[f.name] === "")
    .map((f) => ({ field: f.name, message: "is required" }));
  if (r.ok && blank.length === 0) return { ok: true, input: r.value };
  return { ok: false, errors: errorsByField([...(r.ok ? [] : r.errors.filter((e) => !blank.some((b) => b.field === e.field))), ...blank]) };
}

export function errorsByField(list: readonly { field: string; message: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of list) {
    const name = e.field.replace(/\[\d+\]$/, "").replace(/^input\./, "") || "_";
    out[name] = out[name] ? `${out[name]}; ${e.message}` : e.message;
  }
  return out;
}

/** Only what differs from the default (and required inputs): what snippets and saved inputs need. */
export function nonDefaultInput(fields: readonly InputField[], input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (!(f.name in input)) continue;
    const v = input[f.name];
    if (!f.required && f.hasDefault && JSON.stringify(v) === JSON.stringify(f.default)) continue;
    out[f.name] = v;
  }
  return out;
}

const key = (model: string) => `modelhub.inputs.${model}`;

export function saveValues(model: string, fields: readonly InputField[], values: Values): void {
  const keep: Values = {};
  for (const f of fields) if (f.widget !== "secret" && f.name in values) keep[f.name] = values[f.name];
  try {
    localStorage.setItem(key(model), JSON.stringify(keep));
  } catch {}
}

export function loadValues(model: string, fields: readonly InputField[]): Values | null {
  try {
    const saved = JSON.parse(localStorage.getItem(key(model)) ?? "null");
    if (!saved || typeof saved !== "object") return null;
    const out = initialValues(fields);
    for (const f of fields) {
      const v = saved[f.name];
      if (f.widget === "secret" || v === undefined) continue;
      if (typeof v === typeof out[f.name] || (Array.isArray(v) && Array.isArray(out[f.name]))) out[f.name] = v;
    }
    return out;
  } catch {
    return null;
  }
}

export { orderedProperties };
