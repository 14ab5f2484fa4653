// GET /v1/account: the one local account modelhub has, named by --username (default: the user
// running modelhub). Both official clients call it (accounts.current()).
import { Elysia } from "elysia";
import type { Static } from "elysia";
import type { Account } from "../../contract/wire-account.ts";
import type { HttpDeps } from "../http-context.ts";
import { json } from "../respond.ts";

export function accountRoutes(d: HttpDeps) {
  const account: Static<typeof Account> = { type: "user", username: d.config.username, name: d.config.username };
  return new Elysia({ name: "v1-account" }).get("/v1/account", () => json(account));
}
