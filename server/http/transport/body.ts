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

/** A short rule and message for one TypeBox error, phrased for a person fixing a request. */
function describe(schema: Record<string, unknown>, value: unknown, missing: boolean): { rule: string; message: string } {
  if (missing) return { rule: "required", message: "is required" };
  const options = (schema.anyOf as Record<string, unknown>[] | undefined) ?? [];
  const consts = options.filter((o) => "const" in o).map((o) => JSON.stringify(o.const));
  const nullable = options.some((o) => o.type === "null");
  const inner = options.find((o) => o.type !== "null") ?? schema;
  if (consts.length) return { rule: "enum", message: `must be one of ${consts.join(", ")}` };
  const type = inner.type as string | undefined;
  const orNull = nullable ? " or null" : "";
  if (type === "string" && typeof value === "string") {
    if (typeof inner.maxLength === "number" && value.length > inner.maxLength) return { rule: "maxLength", message: `must be at most ${inner.maxLength} characters` };
    if (typeof inner.minLength === "number" && value.length < inner.minLength) return { rule: "minLength", message: `must not be empty` };
    if (inner.pattern === "^https?://") return { rule: "format", message: `must be an http(s) URL${orNull}` };
    if (typeof inner.pattern === "string") return { rule: "pattern", message: `must match ${inner.pattern}` };
  }
  if ((type === "integer" || type === "number") && typeof value === "number") {
    if (type === "integer" && !Number.isInteger(value)) return { rule: "type", message: "must be a whole number" };
    if (typeof inner.minimum === "number" && value < inner.minimum) return { rule: "minimum", message: `must be at least ${inner.minimum}` };
    if (typeof inner.maximum === "number" && value > inner.maximum) return { rule: "maximum", message: `must be at most ${inner.maximum}` };
  }
  const article = type === "integer" || type === "object" || type === "array" ? "an" : "a";
  return { rule: "type", message: type ? `must be ${article} ${type === "integer" ? "whole number" : type}${orNull}` : "has the wrong type" };
}

/** Every problem with `value` against `schema`, one per field (the first TypeBox finds for it). */
export function fieldErrors(schema: TSchema, value: unknown): FieldError[] {
  const c = checkerFor(schema);
  if (c.Check(value)) return [];
  const out = new Map<string, FieldError>();
  for (const e of c.Errors(value)) {
    const field = e.path.replace(/^\//, "").replace(/\//g, ".") || "body";
    if (out.has(field)) continue;
    const { rule, message } = describe(e.schema as Record<string, unknown>, e.value, e.value === undefined && e.path !== "");
    out.set(field, { field, rule, message });
  }
  return [...out.values()];
}

/** Throws a 422 naming every bad field, or returns the value typed by the schema. */
export function check<T extends TSchema>(schema: T, value: unknown, what = "request body"): Static<T> {
  const errors = fieldErrors(schema, value);
  if (errors.length) throw invalidInput(`Invalid ${what}: ${errors.map((e) => `${e.field} ${e.message}`).join("; ")}`, errors);
  return value as Static<T>;
}

/** Reads a bounded JSON object body (empty counts as {}) and checks it against `schema`. */
export async function readBody<T extends TSchema>(request: Request, schema: T, maxBytes: number): Promise<Static<T>> {
  return check(schema, await readJsonObject(request, maxBytes));
}
