// Wire shapes of API tokens (modelhub extension, admin only): the body that makes one, the answer
// that shows it once, and the listing (which never shows it).
import { t } from "elysia";
import { Timestamp, orNull } from "./wire-common.ts";

const Role = t.Union([t.Literal("user"), t.Literal("admin")]);

export const TokenCreate = t.Object({
  name: t.String({ minLength: 1, maxLength: 100, pattern: "^[A-Za-z0-9][A-Za-z0-9._@-]*$", description: "unique; a user token sees private models whose owner is this name" }),
  role: t.Optional(Role),
});

export const TokenInfo = t.Object({
  id: t.String({ description: "tok_…" }),
  name: t.String(),
  role: Role,
  created_at: Timestamp,
  last_used_at: orNull(Timestamp),
});

export const TokenCreated = t.Object({
  id: t.String(),
  name: t.String(),
  role: Role,
  token: t.String({ description: "mh_…: shown in this answer only; send it as Authorization: Bearer" }),
  created_at: Timestamp,
});
