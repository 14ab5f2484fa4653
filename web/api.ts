// The web UI's client for modelhub's /v1 API: JSON in, JSON out, problem bodies turned into errors.

export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly fields: { field: string; message: string }[] = []) {
    super(message);
  }
}

export async function api<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new HttpError(res.status, data?.detail ?? `HTTP ${res.status}`, data?.invalid_fields ?? []);
  return data as T;
}

export interface ModelJson {
  owner: string;
  name: string;
  description: string | null;
  run_count: number;
  latest_version: {
    id: string;
    cog_version: string;
    openapi_schema: Record<string, unknown>;
    /** pushed versions: getting the image into the Docker engine */
    import?: { status: "importing" | "ready" | "failed"; progress: string | null; error: string | null };
  } | null;
}

export interface PredictionJson {
  id: string;
  model: string;
  version: string;
  status: string;
  input: Record<string, unknown>;
  output: unknown;
  logs: string | null;
  error: string | null;
  created_at: string;
  metrics?: Record<string, number>;
  queue?: { position: number; estimated_start_at: string };
}

export const TERMINAL = new Set(["succeeded", "failed", "canceled"]);
