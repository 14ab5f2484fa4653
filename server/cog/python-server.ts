// The CogContainer of Cog's Python server (FastAPI, Cog 0.7–0.16). Its answers are read tolerantly
// enough that a coglet (0.17+) container works too: 503 during setup reads as busy, a 202 body of
// just {id, status} is an accepted start. See docs/cog-protocol.md.
import type { AsyncStart, CogContainer, CogPrediction, CogRuntimeLine, Health, HealthStatus, PredictRequest } from "./cog-container.ts";
import { Http1Client } from "./http1.ts";

export type PredictAnswer =
  | { kind: "done"; prediction: CogPrediction }
  | { kind: "busy" } // 409 (also during setup), or coglet's 503 during setup
  | { kind: "invalid"; detail: unknown } // 422 from the container itself
  | { kind: "error"; status: number; body: string };

const KNOWN: ReadonlySet<string> = new Set(["STARTING", "READY", "BUSY", "SETUP_FAILED", "DEFUNCT", "UNHEALTHY", "UNKNOWN"]);

/** Busy answers between health checks (~5 s once the retry delay has reached its 100 ms cap). */
export const BUSY_CHECK_EVERY = 50;

/** A 409 usually clears within a millisecond (the container answers just before it frees its slot). */
export const busyDelayMs = (attempt: number) => Math.min(2 ** attempt, 100);

export async function checkHealth(baseUrl: string, timeoutMs = 1000): Promise<Health> {
  try {
    const res = await fetch(`${baseUrl}/health-check`, { signal: AbortSignal.timeout(timeoutMs) });
    // Pre-0.7 images have no /health-check (404): they only open the port once setup is done.
    if (res.status === 404) return { status: "READY", setupLogs: "", detail: "no /health-check (Cog < 0.7)" };
    if (!res.ok) return { status: "UNREACHABLE", setupLogs: "", detail: `HTTP ${res.status}` };
    const body = (await res.json()) as {
      status?: string;
      setup?: { logs?: string } | null;
      user_healthcheck_error?: string;
      version?: { coglet?: string; python_sdk?: string } | null;
    };
    const status = body.status && KNOWN.has(body.status) ? (body.status as HealthStatus) : "UNKNOWN";
    // Only coglet (Cog 0.17+) puts `version` into its health answer: that is how the line is told apart.
    const line = typeof body.version?.coglet === "string" ? { runtime: "coglet" as const, serverVersion: body.version.coglet } : { runtime: "python" as const };
    return { status, setupLogs: body.setup?.logs ?? "", detail: body.user_healthcheck_error, ...line };
  } catch (err) {
    // Connection refused while the server boots is normal.
    return { status: "UNREACHABLE", setupLogs: "", detail: (err as Error).message };
  }
}

/** What an answer to a prediction request (sync POST or async PUT) means, whichever server sent it. */
export function readPredictionAnswer(status: number, text: string): PredictAnswer {
  if (status === 409 || status === 503) return { kind: "busy" };
  if (status === 422) {
    let detail: unknown = text;
    try {
      detail = JSON.parse(text).detail;
    } catch {}
    return { kind: "invalid", detail };
  }
  if (status < 200 || status > 299) return { kind: "error", status, body: text.slice(0, 2000) };
  try {
    return { kind: "done", prediction: JSON.parse(text) as CogPrediction };
  } catch {
    return { kind: "error", status, body: `unparseable response: ${text.slice(0, 200)}` };
  }
}

/** A refused request as the prediction's end: the user sees why. */
export function rejected(a: { kind: "invalid"; detail: unknown } | { kind: "error"; status: number; body: string }): CogPrediction {
  if (a.kind === "invalid") return { status: "failed", error: `The model rejected the input: ${JSON.stringify(a.detail)}`, logs: "" };
  if (a.status === 500 && !a.body.trimStart().startsWith("{"))
    // Cog 0.11–0.16 on pydantic 2 re-validates its own sync answer and fails with a bare 500 when an
    // optional file input (`Path = Input(default=None)`) was left out; the async path is unaffected.
    return {
      status: "failed",
      error:
        `The model container answered HTTP 500 (${a.body.slice(0, 200).trim() || "no body"}). Cog 0.11–0.16 servers do this for a waited-for prediction ` +
        "that leaves out an optional file input; set that input, or run the prediction without waiting.",
      logs: "",
      [SYNC_SERVER_BUG]: true,
    };
  return { status: "failed", error: `The model container answered HTTP ${a.status}: ${a.body}`, logs: "" };
}

/** Marks a sync answer that the same request through the async path would not give (see rejected). */
export const SYNC_SERVER_BUG = "modelhubSyncServerBug";

/** Cog ≥ 0.7 takes --upload-url and Prefer: respond-async; unknown versions are assumed modern. */
export function supportsAsync(cogVersion: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(cogVersion);
  if (!m) return true;
  const [maj, min] = [Number(m[1]), Number(m[2])];
  return maj > 0 || min >= 7;
}

export interface PythonServerOptions {
  /** waits between busy retries; tests pass an instant one */
  sleep?: (ms: number) => Promise<void>;
}

export class PythonServerContainer implements CogContainer {
  constructor(
    readonly baseUrl: string,
    protected http: Http1Client,
    protected sleep: (ms: number) => Promise<void>,
  ) {}

  /** What an answer means; the coglet container reads some of its answers differently. */
  protected read(status: number, text: string): PredictAnswer {
    return readPredictionAnswer(status, text);
  }

  health(timeoutMs = 1000): Promise<Health> {
    return checkHealth(this.baseUrl, timeoutMs);
  }

  async predict(req: PredictRequest, signal?: AbortSignal): Promise<CogPrediction> {
    // The fast path: a kept-alive socket (http1.ts) instead of fetch.
    const body = JSON.stringify({ id: req.id, input: req.input });
    for (let attempt = 0; ; attempt++) {
      const res = await this.http.request(this.baseUrl, "POST", "/predictions", { "Content-Type": "application/json" }, body, signal);
      const a = this.read(res.status, res.body.toString("utf8"));
      if (a.kind === "done") return a.prediction;
      if (a.kind !== "busy") return rejected(a);
      const broken = await this.whileBusy(attempt);
      if (broken) return { status: "failed", error: broken, logs: "" };
    }
  }

  async startAsync(req: PredictRequest & { webhookUrl: string }, signal?: AbortSignal): Promise<AsyncStart> {
    const body = JSON.stringify({ id: req.id, input: req.input, webhook: req.webhookUrl, webhook_events_filter: ["start", "output", "logs", "completed"] });
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${this.baseUrl}/predictions/${encodeURIComponent(req.id)}`, {
        method: "PUT",
        // The exact string: Cog parses no other Prefer syntax.
        headers: { "content-type": "application/json", prefer: "respond-async" },
        body,
        signal,
      });
      const a = this.read(res.status, await res.text());
      // A 202 body is the full object (FastAPI) or just {id, status} (coglet); either means accepted.
      if (a.kind === "done" || (a.kind === "error" && res.status >= 200 && res.status <= 299)) return { kind: "accepted" };
      // Busy also right after a `completed` webhook: the container may not have freed its slot yet.
      if (a.kind !== "busy") return { kind: "ended", prediction: rejected(a) };
      const broken = await this.whileBusy(attempt);
      if (broken) return { kind: "ended", prediction: { status: "failed", error: broken, logs: "" } };
    }
  }

  async cancel(id: string): Promise<boolean> {
    return this.post(`/predictions/${encodeURIComponent(id)}/cancel`);
  }

  async shutdown(): Promise<boolean> {
    return this.post("/shutdown");
  }

  private async post(path: string): Promise<boolean> {
    try {
      const res = await fetch(`${this.baseUrl}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}", signal: AbortSignal.timeout(5000) });
      return res.ok;
    } catch {
      return false;
    }
  }

  /**
   * Waits before asking a busy container again. Busy for long is suspicious (coglet also answers
   * 503 after a failed setup): every BUSY_CHECK_EVERY tries its health is asked, and a container
   * that says it is broken ends the prediction with that reason.
   */
  protected async whileBusy(attempt: number): Promise<string | null> {
    if (attempt > 0 && attempt % BUSY_CHECK_EVERY === 0) {
      const h = await this.health(2000);
      if (h.status === "SETUP_FAILED" || h.status === "DEFUNCT" || h.status === "UNHEALTHY")
        return `The model container keeps refusing predictions and its health check says ${h.status}${h.detail ? ` (${h.detail})` : ""}${h.setupLogs ? `; setup logs:\n${h.setupLogs}` : ""}`;
    }
    await this.sleep(busyDelayMs(attempt));
    return null;
  }
}

/** Cog's Python server line: `python -m cog.server.http` under the image's tini entrypoint. */
export class PythonCogServer implements CogRuntimeLine {
  /** kept-alive sockets to containers, shared by every container of this line */
  private http = new Http1Client();
  private sleep: (ms: number) => Promise<void>;

  constructor(opts: PythonServerOptions = {}) {
    this.sleep = opts.sleep ?? ((ms) => Bun.sleep(ms));
  }

  /** Replacing CMD keeps the entrypoint (tini); the flag needs the whole server command. */
  command(opts: { uploadUrl: string }): string[] {
    return ["python", "-m", "cog.server.http", "--upload-url", opts.uploadUrl];
  }

  supportsAsync(cogVersion: string): boolean {
    return supportsAsync(cogVersion);
  }

  open(baseUrl: string): CogContainer {
    return new PythonServerContainer(baseUrl, this.http, this.sleep);
  }

  close(): void {
    this.http.close();
  }
}
