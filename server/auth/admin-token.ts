// The first admin token: made on the first start with auth on (when no admin token exists) and
// written to <data-dir>/admin-token, mode 0600, so the person who started the server (and the CLI on
// the same machine) can use it. Its path and value are printed once.
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TokenStore } from "./tokens.ts";

export const ADMIN_TOKEN_FILE = "admin-token";

/** Returns the new token and the file's path, or null when an admin token already exists. */
export function ensureAdminToken(dataDir: string, tokens: TokenStore): { token: string; path: string } | null {
  if (tokens.hasAdmin()) return null;
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  // A name that is free even if someone made a user token called "admin".
  let name = "admin";
  for (let i = 2; tokens.list().some((t) => t.name === name); i++) name = `admin-${i}`;
  const { token } = tokens.create(name, "admin");
  if (existsSync(path)) chmodSync(path, 0o600);
  writeFileSync(path, token + "\n", { mode: 0o600 });
  chmodSync(path, 0o600);
  return { token, path };
}
