// /v1/tokens (admin): make a token (shown once, in this answer only), list them, revoke one by id or name.
import { Elysia } from "elysia";
import type { TokenRecord } from "../../auth/tokens.ts";
import type { HttpDeps } from "../http-context.ts";
import { TokenCreate } from "../../contract/wire-tokens.ts";
import { json, noContent } from "../respond.ts";
import { readBody } from "../transport/body.ts";

const present = (t: TokenRecord) => ({ id: t.id, name: t.name, role: t.role, created_at: t.createdAt, last_used_at: t.lastUsedAt });

export function tokenRoutes(d: HttpDeps) {
  return new Elysia({ name: "v1-tokens" })
    .get("/v1/tokens", () => json({ next: null, previous: null, results: d.tokens.list().map(present) }))
    .post("/v1/tokens", async ({ request }) => {
      const b = await readBody(request, TokenCreate, d.maxJsonBytes);
      const { record, token } = d.tokens.create(b.name, b.role ?? "user");
      return json({ id: record.id, name: record.name, role: record.role, token, created_at: record.createdAt }, 201);
    })
    .delete("/v1/tokens/:id", ({ params }) => {
      d.tokens.revoke(params.id);
      return noContent();
    });
}
