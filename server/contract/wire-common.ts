// Building blocks the wire schemas share: nullable fields, timestamps, the Page envelope, the problem body.
// Only `t` comes from elysia here (test/architecture.test.ts): these are plain JSON Schema values.
import { t, type TSchema } from "elysia";

/** `T | null`, written as anyOf so the OpenAPI 3.1 document needs no 3.0 `nullable` keyword. */
export const orNull = <T extends TSchema>(schema: T, description?: string) => t.Union([schema, t.Null()], description ? { description } : {});

/**
 * A JSON integer. Elysia's own t.Integer also accepts numeric strings (it is meant for query
 * strings), which would document and check the wrong thing for a response field like run_count;
 * this is TypeBox's plain Integer.
 */
export const Int = (options: { minimum?: number; maximum?: number; description?: string } = {}) =>
  t.Unsafe<number>({ ...options, type: "integer", [Symbol.for("TypeBox.Kind")]: "Integer" });

export const Timestamp = t.String({ format: "date-time", description: "RFC 3339 UTC time, e.g. 2024-10-04T18:15:00.077Z" });

/** An absolute http(s) URL; request bodies check the scheme, nothing more. */
export const HttpUrl = t.String({ pattern: "^https?://", maxLength: 2048 });

/**
 * Replicate's Page: Python 1.x requires `results`; `next`/`previous` are absolute URLs (both clients
 * follow them verbatim) or null.
 */
export const Page = <T extends TSchema>(item: T) =>
  t.Object({
    next: orNull(t.String({ description: "absolute URL of the next page" })),
    previous: orNull(t.String({ description: "absolute URL of the previous page" })),
    results: t.Array(item),
  });

export const FieldProblem = t.Object({
  field: t.String(),
  rule: t.String(),
  message: t.String(),
});

/** Every error modelhub answers, as application/problem+json. */
export const Problem = t.Object(
  {
    title: t.String(),
    detail: t.String(),
    status: Int(),
    invalid_fields: t.Optional(t.Array(FieldProblem, { description: "422 only: each bad field and the rule it broke" })),
    code: t.Optional(t.String({ description: "a stable machine-readable reason, e.g. docker_unavailable" })),
  },
  { description: "RFC 9457 problem details; the body of every 4xx and 5xx" },
);

/** modelhub extension: a queued prediction's place in line and when it should start. */
export const QueuePosition = t.Object({
  position: Int({ minimum: 1, description: "1 = next to start" }),
  queued: Int({ minimum: 0, description: "predictions waiting in the same line" }),
  estimated_start_at: Timestamp,
  cold_boot: t.Boolean({ description: "the estimate includes starting a container" }),
  estimate_measured: t.Boolean({ description: "false while boot or predict time is a default guess" }),
  waiting_for: orNull(t.String({ description: "why nothing is starting yet, if anything" })),
});
