// A small JSON Schema (2020-12 subset) validator for checking real responses against the served
// /openapi.json: $ref into components, type, const, enum, anyOf, allOf, properties, required,
// additionalProperties, patternProperties, items, lengths, bounds, pattern. Formats are not checked.

type Schema = Record<string, unknown>;

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

const typeOk = (want: string, v: unknown) => {
  const got = typeOf(v);
  return want === got || (want === "number" && got === "integer");
};

/** Errors of `value` against `schema` (empty when valid); `root` resolves "#/..." refs. */
export function validate(value: unknown, schema: Schema, root: Schema, path = "$"): string[] {
  if (typeof schema.$ref === "string") {
    const target = schema.$ref.replace(/^#\//, "").split("/").reduce<unknown>((o, k) => (o as Schema)?.[k], root) as Schema | undefined;
    if (!target) return [`${path}: unresolved $ref ${schema.$ref}`];
    return validate(value, target, root, path);
  }
  const errs: string[] = [];
  if (schema.anyOf) {
    const branches = (schema.anyOf as Schema[]).map((s) => validate(value, s, root, path));
    if (!branches.some((b) => b.length === 0)) errs.push(`${path}: matches no anyOf branch (${branches.map((b) => b[0]).join(" | ")})`);
  }
  for (const s of (schema.allOf as Schema[] | undefined) ?? []) errs.push(...validate(value, s, root, path));
  if ("const" in schema && JSON.stringify(value) !== JSON.stringify(schema.const)) errs.push(`${path}: must be ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) errs.push(`${path}: not in enum`);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => typeOk(t, value))) return [...errs, `${path}: expected ${types.join("|")}, got ${typeOf(value)}`];
  }
  if (typeof value === "string") {
    if (typeof schema.minLength === "number" && value.length < schema.minLength) errs.push(`${path}: shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === "number" && value.length > schema.maxLength) errs.push(`${path}: longer than ${schema.maxLength}`);
    if (typeof schema.pattern === "string" && !new RegExp(schema.pattern).test(value)) errs.push(`${path}: does not match ${schema.pattern}`);
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) errs.push(`${path}: below ${schema.minimum}`);
    if (typeof schema.maximum === "number" && value > schema.maximum) errs.push(`${path}: above ${schema.maximum}`);
  }
  if (Array.isArray(value) && schema.items) value.forEach((x, i) => errs.push(...validate(x, schema.items as Schema, root, `${path}[${i}]`)));
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const k of (schema.required as string[] | undefined) ?? []) if (!(k in obj)) errs.push(`${path}.${k}: required`);
    const patterns = Object.entries((schema.patternProperties as Record<string, Schema> | undefined) ?? {});
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) {
        errs.push(...validate(v, props[k], root, `${path}.${k}`));
        continue;
      }
      const pat = patterns.find(([p]) => new RegExp(p).test(k));
      if (pat) errs.push(...validate(v, pat[1], root, `${path}.${k}`));
      else if (schema.additionalProperties === false) errs.push(`${path}.${k}: not allowed`);
      else if (schema.additionalProperties && typeof schema.additionalProperties === "object")
        errs.push(...validate(v, schema.additionalProperties as Schema, root, `${path}.${k}`));
    }
  }
  return errs;
}
