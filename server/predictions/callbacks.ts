// Capability tokens for the container callback listener: one per running prediction for its
// webhook, one per version for --upload-url (the container command is fixed per version). With a
// store they are also written down: a container that outlives modelhub still calls back after a restart.
import type { CallbackStore } from "./callback-store.ts";
import { newToken } from "./ids.ts";

export class CallbackRegistry {
  /** http://host.docker.internal:<port>, set once the callback listener is up; null = none */
  base: string | null = null;

  /**
   * The listener is up on `port`. `host` is the name containers reach modelhub by: the Docker
   * host gateway for real containers; 127.0.0.1 for the test runtime's plain processes.
   */
  listening(port: number, host = "host.docker.internal"): void {
    this.base = `http://${host}:${port}`;
  }
  /** false once a container failed to call back: everything then takes the sync path */
  reachable = true;
  private uploadTokenByVersion = new Map<string, string>();
  private versionByUploadToken = new Map<string, string>();
  private predictionByWebhookToken = new Map<string, string>();
  /** a previous run's webhook tokens not yet re-attached or dropped: their webhooks get a 503 (Cog retries) */
  private pendingTokens: Set<string>;

  constructor(private store?: CallbackStore) {
    this.pendingTokens = new Set(store?.webhooks().values() ?? []);
    for (const { versionId, token } of store?.uploadTokens() ?? []) {
      this.uploadTokenByVersion.set(versionId, token);
      this.versionByUploadToken.set(token, versionId);
    }
  }

  uploadUrl(versionId: string): string | null {
    if (!this.base) return null;
    let t = this.uploadTokenByVersion.get(versionId);
    if (!t) {
      t = newToken();
      this.uploadTokenByVersion.set(versionId, t);
      this.versionByUploadToken.set(t, versionId);
      this.store?.addUploadToken(versionId, t);
    }
    return `${this.base}/internal/uploads/${t}/`;
  }

  versionForUploadToken(token: string): string | undefined {
    return this.versionByUploadToken.get(token);
  }

  webhookUrl(predictionId: string): { url: string; token: string } {
    const token = newToken();
    this.predictionByWebhookToken.set(token, predictionId);
    this.store?.addWebhook(predictionId, token);
    return { url: `${this.base}/internal/webhooks/${token}`, token };
  }

  /** Webhook tokens of async predictions a previous run left in flight, by prediction id. */
  persistedWebhooks(): Map<string, string> {
    return this.store?.webhooks() ?? new Map();
  }

  /** Accepts a previous run's webhook token again (a re-attached prediction). */
  restoreWebhook(predictionId: string, token: string): void {
    this.predictionByWebhookToken.set(token, predictionId);
    this.pendingTokens.delete(token);
  }

  /** A previous run's token whose prediction is not re-attached yet (modelhub is still starting). */
  isPending(token: string): boolean {
    return this.pendingTokens.has(token);
  }

  predictionForWebhookToken(token: string): string | undefined {
    return this.predictionByWebhookToken.get(token);
  }

  dropWebhook(token: string): void {
    this.predictionByWebhookToken.delete(token);
    this.pendingTokens.delete(token);
    this.store?.dropWebhook(token);
  }
}
