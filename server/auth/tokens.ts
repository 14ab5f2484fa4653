// API tokens: `mh_` + 32 random bytes (base64url), shown once when made and stored only as a SHA-256
// hash. A presented token is hashed, looked up by its hash and compared in constant time.
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Db } from "../db/database.ts";
import { conflict, invalidInput, notFound } from "../errors.ts";

export type Role = "admin" | "user";
export const TOKEN_PREFIX = "mh_";

export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
}

interface Row {
  id: string;
  name: string;
  role: Role;
  hash: string;
  created_at: string;
  last_used_at: string | null;
}

const toRecord = (r: Row): TokenRecord => ({ id: r.id, name: r.name, role: r.role, createdAt: r.created_at, lastUsedAt: r.last_used_at });
const hashOf = (token: string) => new Bun.CryptoHasher("sha256").update(token).digest("hex");
/** last_used_at is a hint for people; writing it on every request would cost a write per call. */
const TOUCH_EVERY_MS = 60_000;

export class TokenStore {
  private touched = new Map<string, number>();
  constructor(private db: Db) {}

  create(name: unknown, role: unknown = "user"): { record: TokenRecord; token: string } {
    if (typeof name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/.test(name))
      throw invalidInput("name must be 1-100 letters, digits, '.', '_', '@' or '-'", [{ field: "name", rule: "pattern", message: "must be 1-100 letters, digits, . _ @ -" }]);
    if (role !== "user" && role !== "admin") throw invalidInput('role must be "user" or "admin"', [{ field: "role", rule: "enum", message: 'must be one of "user", "admin"' }]);
    if (this.db.query("SELECT 1 FROM tokens WHERE name = ?").get(name)) throw conflict(`A token named ${name} exists; revoke it first or choose another name`);
    const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
    const id = "tok_" + randomBytes(9).toString("base64url");
    const now = new Date().toISOString();
    this.db.query("INSERT INTO tokens (id, name, role, hash, created_at) VALUES (?, ?, ?, ?, ?)").run(id, name, role, hashOf(token), now);
    return { record: { id, name, role, createdAt: now, lastUsedAt: null }, token };
  }

  list(): TokenRecord[] {
    return (this.db.query("SELECT * FROM tokens ORDER BY created_at, id").all() as Row[]).map(toRecord);
  }

  /** By id or by name; unknown → 404. */
  revoke(idOrName: string): TokenRecord {
    const r = this.db.query("SELECT * FROM tokens WHERE id = ? OR name = ?").get(idOrName, idOrName) as Row | null;
    if (!r) throw notFound(`No token ${idOrName}; GET /v1/tokens lists them`);
    this.db.query("DELETE FROM tokens WHERE id = ?").run(r.id);
    return toRecord(r);
  }

  hasAdmin(): boolean {
    return !!this.db.query("SELECT 1 FROM tokens WHERE role = 'admin' LIMIT 1").get();
  }

  /** The token's record, or null for anything that is not a live token. */
  verify(presented: string): TokenRecord | null {
    if (!presented.startsWith(TOKEN_PREFIX) || presented.length > 200) return null;
    const hash = hashOf(presented);
    const r = this.db.query("SELECT * FROM tokens WHERE hash = ?").get(hash) as Row | null;
    if (!r || !timingSafeEqual(Buffer.from(r.hash, "hex"), Buffer.from(hash, "hex"))) return null;
    const now = Date.now();
    if ((this.touched.get(r.id) ?? 0) + TOUCH_EVERY_MS < now) {
      this.touched.set(r.id, now);
      this.db.query("UPDATE tokens SET last_used_at = ? WHERE id = ?").run(new Date(now).toISOString(), r.id);
    }
    return toRecord(r);
  }
}
