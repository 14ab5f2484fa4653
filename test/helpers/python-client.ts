// What replicate-python 1.x's pydantic models require of each object (docs/replicate-api.md, Objects), written out
// independently of modelhub's own schemas: a required field must be present, non-null and of this type.
// Optional fields, when present, must have the type too (or be null where pydantic allows Optional).

type Check = "str" | "int" | "bool" | "dict" | "list" | "datetime" | { oneOf: string[] };
interface Rules {
  required: Record<string, Check>;
  optional?: Record<string, Check>;
}

export const PYTHON: Record<string, Rules> = {
  Model: {
    required: { url: "str", owner: "str", name: "str", visibility: { oneOf: ["public", "private"] }, run_count: "int" },
    optional: { description: "str", github_url: "str", paper_url: "str", license_url: "str", cover_image_url: "str", default_example: "dict", latest_version: "dict" },
  },
  Version: { required: { id: "str", created_at: "datetime", cog_version: "str", openapi_schema: "dict" } },
  Account: { required: { type: { oneOf: ["user", "organization"] }, username: "str", name: "str" }, optional: { github_url: "str", avatar_url: "str" } },
  Collection: { required: { slug: "str", name: "str", description: "str" }, optional: { models: "list" } },
  Page: { required: { results: "list" }, optional: { next: "str", previous: "str" } },
  Hardware: { required: { sku: "str", name: "str" } },
  Prediction: { required: { id: "str", model: "str", version: "str", status: { oneOf: ["starting", "processing", "succeeded", "failed", "canceled"] } } },
};

function ok(c: Check, v: unknown): boolean {
  if (typeof c === "object") return c.oneOf.includes(v as string);
  switch (c) {
    case "str":
      return typeof v === "string";
    case "int":
      return Number.isInteger(v);
    case "bool":
      return typeof v === "boolean";
    case "dict":
      return !!v && typeof v === "object" && !Array.isArray(v);
    case "list":
      return Array.isArray(v);
    case "datetime":
      return typeof v === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v) && !Number.isNaN(Date.parse(v));
  }
}

/** Problems that would make Python 1.x raise ValidationError on `obj` as a `kind`; [] when it parses. */
export function pythonProblems(kind: keyof typeof PYTHON, obj: unknown): string[] {
  if (!obj || typeof obj !== "object") return [`${kind}: not an object`];
  const o = obj as Record<string, unknown>;
  const rules = PYTHON[kind];
  const out: string[] = [];
  for (const [k, c] of Object.entries(rules.required)) if (!ok(c, o[k])) out.push(`${kind}.${k} must be ${JSON.stringify(c)}, got ${JSON.stringify(o[k])}`);
  for (const [k, c] of Object.entries(rules.optional ?? {})) if (o[k] !== undefined && o[k] !== null && !ok(c, o[k])) out.push(`${kind}.${k} must be ${JSON.stringify(c)} or null`);
  if (kind === "Model") {
    if (o.latest_version) out.push(...pythonProblems("Version", o.latest_version));
    if (o.default_example) out.push(...pythonProblems("Prediction", o.default_example));
  }
  return out;
}
