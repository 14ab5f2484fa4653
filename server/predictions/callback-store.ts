// SQL for the container callbacks that must outlive the process: the listener's port, upload tokens per version, webhook tokens per async prediction.
import type { Db } from "../db/database.ts";

export class CallbackStore {
  constructor(private db: Db) {}

  /** The port the callback listener had last time (containers still running were told it), or null. */
  listenerPort(): number | null {
    const r = this.db.query("SELECT value FROM callback_settings WHERE key = 'listener_port'").get() as { value: string } | null;
    const n = r ? Number(r.value) : NaN;
    return Number.isInteger(n) && n > 0 ? n : null;
  }

  setListenerPort(port: number): void {
    this.db.query("INSERT INTO callback_settings (key, value) VALUES ('listener_port', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(port));
  }

  uploadTokens(): { versionId: string; token: string }[] {
    return (this.db.query("SELECT version_id, token FROM callback_upload_tokens").all() as { version_id: string; token: string }[]).map((r) => ({
      versionId: r.version_id,
      token: r.token,
    }));
  }

  addUploadToken(versionId: string, token: string): void {
    this.db.query("INSERT OR REPLACE INTO callback_upload_tokens (version_id, token) VALUES (?, ?)").run(versionId, token);
  }

  /** Webhook tokens of async predictions that were in flight, by prediction id. */
  webhooks(): Map<string, string> {
    const rows = this.db.query("SELECT prediction_id, token FROM callback_webhooks").all() as { prediction_id: string; token: string }[];
    return new Map(rows.map((r) => [r.prediction_id, r.token]));
  }

  addWebhook(predictionId: string, token: string): void {
    this.db.query("INSERT OR REPLACE INTO callback_webhooks (prediction_id, token, created_at) VALUES (?, ?, ?)").run(predictionId, token, new Date().toISOString());
  }

  dropWebhook(token: string): void {
    this.db.query("DELETE FROM callback_webhooks WHERE token = ?").run(token);
  }
}
