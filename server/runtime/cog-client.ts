// HTTP client for the Cog server inside a container: health, reading prediction answers, cancel.
// Tolerates both server families (FastAPI ≤0.16, coglet 0.17+); see docs/cog-protocol.md.

export type HealthStatus = "STARTING" | "READY" | "BUSY" | "SETUP_FAILED" | "DEFUNCT" | "UNHEALTHY" | "UNKNOWN";

export interface Health {
  status: HealthStatus | "UNREACHABLE";
  setupLogs: string;
  detail?: string;
}

export interface CogPrediction {
  id?: string | null;
  status?: string;
  output?: unknown;
  logs?: string | null;
  error?: string | null;
  metrics?: Record<string, unknown>;
  started_at?: string | null;
  completed_at?: string | null;
  [k: string]: unknown;
}

export type PredictResult =
  | { kind: "done"; prediction: CogPrediction }
  | { kind: "busy" } // 409 (FastAPI also says 409 during setup) or coglet 503 during setup
  | { kind: "invalid"; detail: unknown } // 422 from the container itself
  | { kind: "error"; status: number; body: string };

const KNOWN: ReadonlySet<string> = new Set(["STARTING", "READY", "BUSY", "SETUP_FAILED", "DEFUNCT", "UNHEALTHY", "UNKNOWN"]);

export async function checkHealth(baseUrl: string, timeoutMs = 1000): Promise<Health> {
  try {
    const res = await fetch(`${baseUrl}/health-check`, { signal: AbortSignal.timeout(timeoutMs) });
    // Pre-0.7 images have no /health-check (404): they only open the port once setup is done.
    if (res.status === 404) return { status: "READY", setupLogs: "", detail: "no /health-check (Cog < 0.7)" };
    if (!res.ok) return { status: "UNREACHABLE", setupLogs: "", detail: `HTTP ${res.status}` };
    const body = (await res.json()) as { status?: string; setup?: { logs?: string } | null; user_healthcheck_error?: string };
    const status = body.status && KNOWN.has(body.status) ? (body.status as HealthStatus) : "UNKNOWN";
    return { status, setupLogs: body.setup?.logs ?? "", detail: body.user_healthcheck_error };
  } catch (err) {
    // Connection refused while the server boots is normal.
    return { status: "UNREACHABLE", setupLogs: "", detail: (err as Error).message };
  }
}

/**
 * What a Cog server's answer to a prediction request (sync POST or async PUT) means, whichever
 * server family sent it (docs/cog-protocol.md).
 */
export function readPredictionAnswer(status: number, text: string): PredictResult {
  // FastAPI: 409 while busy or in setup; coglet: 409 at capacity, 503 during setup.
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

export async function cancelPrediction(baseUrl: string, id: string): Promise<boolean> {
  try {
    const res = await fetch(`${baseUrl}/predictions/${encodeURIComponent(id)}/cancel`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
      signal: AbortSignal.timeout(5000),
    });
    return res.ok;
  } catch {
    return false;
  }
}
