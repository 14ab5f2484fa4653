// Capability tokens for the container callback listener: one per running prediction for its
// webhook, one per version for --upload-url (the container command is fixed per version). The
// containers of a previous run are removed at start, so tokens live in memory only.
import { newToken } from "./ids.ts";

export class CallbackRegistry {
  /** http://host.docker.internal:<port>, set once the callback listener is up; null = none */
  base: string | null = null;
  /** false once a container failed to call back: everything then takes the sync path */
  reachable = true;
  private uploadTokenByVersion = new Map<string, string>();
  private versionByUploadToken = new Map<string, string>();
  private predictionByWebhookToken = new Map<string, string>();

  uploadUrl(versionId: string): string | null {
    if (!this.base) return null;
    let t = this.uploadTokenByVersion.get(versionId);
    if (!t) {
      t = newToken();
      this.uploadTokenByVersion.set(versionId, t);
      this.versionByUploadToken.set(t, versionId);
    }
    return `${this.base}/internal/uploads/${t}/`;
  }

  versionForUploadToken(token: string): string | undefined {
    return this.versionByUploadToken.get(token);
  }

  webhookUrl(predictionId: string): { url: string; token: string } {
    const token = newToken();
    this.predictionByWebhookToken.set(token, predictionId);
    return { url: `${this.base}/internal/webhooks/${token}`, token };
  }

  predictionForWebhookToken(token: string): string | undefined {
    return this.predictionByWebhookToken.get(token);
  }

  dropWebhook(token: string): void {
    this.predictionByWebhookToken.delete(token);
  }
}
