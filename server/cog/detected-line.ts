// The runtime line modelhub uses: each container is spoken to as the server its /health-check
// says it runs (coglet's answer carries `version.coglet`), not as its image label says (an image
// built by Cog 0.17+ can pin an older SDK and run the Python server). Boot always reads a
// container's health before its first prediction, so the line is known by then.
import type { CogContainer, CogPrediction, CogRuntimeLine, Health, PredictRequest, RuntimeLineName } from "./cog-container.ts";
import { COGLET_HEALTH_TIMEOUT_MS, CogletContainer, type CogletHooks, cogletHealth } from "./coglet-server.ts";
import { Http1Client } from "./http1.ts";
import { PythonServerContainer, type PythonServerOptions, supportsAsync } from "./python-server.ts";

/** Cog 0.17 replaced the Python server by coglet (same command, same port). */
export function isCogletBuild(cogVersion: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(cogVersion);
  if (!m) return false;
  return Number(m[1]) > 0 || Number(m[2]) >= 17;
}

/**
 * What a user should know before running an image that modelhub runs, but not well: null for Cog
 * 0.7 and later (and unknown versions). Before 0.7 the server has no /health-check, no async
 * predictions and no --upload-url.
 */
export function runtimeCaveat(cogVersion: string): string | null {
  if (supportsAsync(cogVersion)) return null;
  return (
    `Built with Cog ${cogVersion} (before 0.7): its server has no /health-check and no async predictions, so modelhub waits for its port to open ` +
    "and runs every prediction the sync way (no live logs or streamed output while it runs, file outputs inline). Rebuild it with Cog 0.7 or newer for all of that."
  );
}

export class DetectingCogServer implements CogRuntimeLine {
  private http = new Http1Client();
  private sleep: (ms: number) => Promise<void>;
  /** what each container (by base URL) answered as; a reused port is re-read at its next boot */
  private seen = new Map<string, RuntimeLineName>();
  /** containers whose health probe timed out before their line was known: asked with coglet's patience */
  private slow = new Set<string>();

  constructor(
    opts: PythonServerOptions = {},
    private hooks: CogletHooks = {},
  ) {
    this.sleep = opts.sleep ?? ((ms) => Bun.sleep(ms));
  }

  command(opts: { uploadUrl: string }): string[] {
    return ["python", "-m", "cog.server.http", "--upload-url", opts.uploadUrl];
  }

  supportsAsync(cogVersion: string): boolean {
    return supportsAsync(cogVersion);
  }

  /** coglet uses the upload URL for sync predictions too, appends list items as uploads end and drops failed ones: outputs come inline instead. */
  wantsUploadUrl(cogVersion: string): boolean {
    return supportsAsync(cogVersion) && !isCogletBuild(cogVersion);
  }

  lineOf(baseUrl: string): RuntimeLineName | undefined {
    return this.seen.get(baseUrl);
  }

  open(baseUrl: string): CogContainer {
    const known = this.seen.get(baseUrl);
    const inner = known === "coglet" ? new CogletContainer(baseUrl, this.http, this.sleep, this.hooks) : new PythonServerContainer(baseUrl, this.http, this.sleep);
    return new DetectedContainer(baseUrl, inner, known, this);
  }

  /** A health answer from `baseUrl`, as read by a container opened before its line was known. */
  learn(baseUrl: string, h: Health, timedOut: boolean): void {
    if (h.runtime) {
      this.seen.set(baseUrl, h.runtime);
      this.slow.delete(baseUrl);
    } else if (timedOut) this.slow.add(baseUrl);
  }

  isSlow(baseUrl: string): boolean {
    return this.slow.has(baseUrl);
  }

  close(): void {
    this.http.close();
  }
}

/** A container as its line was known when opened; its health answers teach the line. */
class DetectedContainer implements CogContainer {
  constructor(
    readonly baseUrl: string,
    private inner: PythonServerContainer,
    private known: RuntimeLineName | undefined,
    private line: DetectingCogServer,
  ) {}

  async health(timeoutMs = 1000): Promise<Health> {
    const wait = this.known === undefined && this.line.isSlow(this.baseUrl) ? COGLET_HEALTH_TIMEOUT_MS : timeoutMs;
    const t0 = performance.now();
    const h = await this.inner.health(wait);
    this.line.learn(this.baseUrl, h, h.status === "UNREACHABLE" && performance.now() - t0 >= wait * 0.9);
    // Read as coglet even if this container was opened as the Python server's (its first answer).
    return h.runtime === "coglet" && this.known !== "coglet" ? cogletHealth(h) : h;
  }

  predict(req: PredictRequest, signal?: AbortSignal): Promise<CogPrediction> {
    return this.inner.predict(req, signal);
  }

  startAsync(req: PredictRequest & { webhookUrl: string }, signal?: AbortSignal) {
    return this.inner.startAsync(req, signal);
  }

  cancel(id: string): Promise<boolean> {
    return this.inner.cancel(id);
  }

  shutdown(): Promise<boolean> {
    return this.inner.shutdown();
  }

  settle(p: CogPrediction): CogPrediction {
    return this.inner instanceof CogletContainer ? this.inner.settle(p) : p;
  }
}
