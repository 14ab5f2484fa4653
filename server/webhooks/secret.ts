// The install's webhook signing secret ("default", as in GET /v1/webhooks/default/secret): made
// on first use and kept in the database, so receivers keep verifying across restarts.
import type { Db } from "../db/database.ts";
import { newWebhookSecret } from "./signing.ts";

export class WebhookSecrets {
  private cached: string | null = null;
  constructor(private db: Db) {}

  defaultSecret(): string {
    if (this.cached) return this.cached;
    const row = this.db.query("SELECT key FROM webhook_secrets WHERE name = 'default'").get() as { key: string } | null;
    if (row) return (this.cached = row.key);
    // INSERT OR IGNORE + re-read: two servers racing on one database agree on one secret.
    this.db.query("INSERT OR IGNORE INTO webhook_secrets (name, key, created_at) VALUES ('default', ?, ?)").run(newWebhookSecret(), new Date().toISOString());
    return (this.cached = (this.db.query("SELECT key FROM webhook_secrets WHERE name = 'default'").get() as { key: string }).key);
  }
}
