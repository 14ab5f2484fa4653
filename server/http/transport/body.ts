// Request bodies checked against the wire schemas in server/contract: the same `t` schema documents
// the route in /openapi.json and validates it here, so the two cannot drift apart.
import type { Static, TSchema } from "elysia";
import { TypeCompiler, type TypeCheck } from "elysia/type-system";
import { type FieldError, invalidInput } from "../../errors.ts";
import { readJsonObject } from "../respond.ts";

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function checkerFor<T extends TSchema>(schema: T): TypeCheck<T> {
  let c = compiled.get(schema);
  if (!c) compiled.set(schema, (c = TypeCompiler.Compile(schema)));
  return c as TypeCheck<T>;
}

type Schema = Record<string, unknown>;

const num = (v: unknown) => (typeof v === "number" ? v : undefined);

/** The alternatives of a union, nested unions flattened (`orNull(t.Union([...]))`). */
function alternatives(s: Schema): Schema[] {
  const list = s.anyOf as Schema[] | undefined;
  return list ? list.flatMap(alternatives) : [s];
}

function anyOfWords(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`;
}

/** What a schema accepts, in words: "a whole number from 0 to 64", "an http(s) URL", "null". */
function phrase(s: Schema): string {
  if ("const" in s) return JSON.stringify(s.const);
  if (s.anyOf) return anyOfWords(alternatives(s).map(phrase));
  const [min, max] = [num(s.minimum), num(s.maximum)];
  switch (s.type) {
    case "null":
      return "null";
    case "integer":
    case "number": {
      const what = s.type === "integer" ? "a whole number" : "a number";
      if (min !== undefined && max !== undefined) return `${what} from ${min} to ${max}`;
      return min !== undefined ? `${what} ≥ ${min}` : max !== undefined ? `${what} ≤ ${max}` : what;
    }
    case "string":
      return s.pattern === "^https?://" ? "an http(s) URL" : "a string";
    case "boolean":
      return "true or false";
    case "array":
      return s.items ? `a list of ${s.uniqueItems ? "distinct " : ""}items (each ${phrase(s.items as Schema)})` : "a list";
    case "object":
      return "an object";
    default:
      return "a value of another type";
  }
}

/** A short rule and message for a value that `schema` (one alternative, not a union) rejects. */
function describeOne(inner: Schema, value: unknown, orNull: string): { rule: string; message: string } {
  const type = inner.type as string | undefined;
  if (type === "string" && typeof value === "string") {
    if (typeof inner.maxLength === "number" && value.length > inner.maxLength) return { rule: "maxLength", message: `must be at most ${inner.maxLength} characters` };
    if (typeof inner.minLength === "number" && value.length < inner.minLength) return { rule: "minLength", message: inner.minLength === 1 ? "must not be empty" : `must be at least ${inner.minLength} characters` };
    if (inner.pattern === "^https?://") return { rule: "format", message: `must be an http(s) URL${orNull}` };
    if (typeof inner.pattern === "string") return { rule: "pattern", message: `must match ${inner.pattern}` };
  }
  if ((type === "integer" || type === "number") && typeof value === "number") {
    const what = `must be ${phrase(inner)}${orNull}`;
    if (type === "integer" && !Number.isInteger(value)) return { rule: "type", message: what };
    if (typeof inner.minimum === "number" && value < inner.minimum) return { rule: "minimum", message: what };
    if (typeof inner.maximum === "number" && value > inner.maximum) return { rule: "maximum", message: what };
  }
  if (type === "array" && Array.isArray(value)) {
    if (inner.uniqueItems && new Set(value.map((v) => JSON.stringify(v))).size < value.length) return { rule: "uniqueItems", message: `must list each item once` };
    if (inner.items) return { rule: "items", message: `must be ${phrase(inner)}${orNull}` };
  }
  return { rule: "type", message: type ? `must be ${phrase({ type })}${orNull}` : "has the wrong type" };
}

/** A short rule and message for one TypeBox error, phrased for a person fixing a request. */
function describe(schema: Schema, value: unknown, missing: boolean, key: string): { rule: string; message: string } {
  if (missing) return { rule: "required", message: "is required" };
  // An object without additionalProperties names the fields it does take.
  if (key !== "" && schema.type === "object" && schema.additionalProperties === false && !Object.hasOwn((schema.properties as Schema | undefined) ?? {}, key)) {
    return { rule: "unknown", message: `is not a known field (use ${Object.keys((schema.properties as Schema | undefined) ?? {}).join(", ")})` };
  }
  const options = alternatives(schema);
  const nullable = options.some((o) => o.type === "null");
  const rest = options.filter((o) => o.type !== "null");
  const orNull = nullable ? " or null" : "";
  if (rest.length > 0 && rest.every((o) => "const" in o)) return { rule: "enum", message: `must be one of ${rest.map((o) => JSON.stringify(o.const)).join(", ")}${orNull}` };
  if (rest.length === 1) return describeOne(rest[0], value, orNull);
  return { rule: "anyOf", message: `must be ${anyOfWords(options.map(phrase))}` };
}

/** Every problem with `value` against `schema`, one per field (the first TypeBox finds for it). */
export function fieldErrors(schema: TSchema, value: unknown, root = "body", prefix = ""): FieldError[] {
  const c = checkerFor(schema);
  if (c.Check(value)) return [];
  const out = new Map<string, FieldError>();
  for (const e of c.Errors(value)) {
    const path = prefix + e.path;
    const field = path.replace(/^\//, "").replace(/\//g, ".") || root;
    if (out.has(field)) continue;
    // TypeBox reports a nullable list or object (`orNull(t.Array(…))`) as one failed union; look
    // inside it so the problem names the item or field that is wrong.
    const rest = alternatives(e.schema as Schema).filter((o) => o.type !== "null");
    if (rest.length === 1 && rest[0] !== e.schema && (rest[0].type === "array" || rest[0].type === "object") && e.value !== null) {
      const inner = fieldErrors(rest[0] as TSchema, e.value, root, path);
      for (const f of inner) if (!out.has(f.field)) out.set(f.field, f);
      if (inner.length) continue;
    }
    const key = path.slice(path.lastIndexOf("/") + 1);
    const { rule, message } = describe(e.schema as Schema, e.value, e.value === undefined && path !== "", key);
    out.set(field, { field, rule, message });
  }
  return [...out.values()];
}

/** Throws a 422 naming every bad field (`root` names a value that is not an object), or returns the value typed by the schema. */
export function check<T extends TSchema>(schema: T, value: unknown, what = "request body", root = "body"): Static<T> {
  const errors = fieldErrors(schema, value, root);
  if (errors.length) throw invalidInput(`Invalid ${what}: ${errors.map((e) => `${e.field} ${e.message}`).join("; ")}`, errors);
  return value as Static<T>;
}

/** Reads a bounded JSON object body (empty counts as {}) and checks it against `schema`. */
export async function readBody<T extends TSchema>(request: Request, schema: T, maxBytes: number): Promise<Static<T>> {
  return check(schema, await readJsonObject(request, maxBytes));
}
