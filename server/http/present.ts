// Turns domain records into Replicate-shaped JSON with absolute URLs on the public origin.
import type { FileRecord } from "../files/store.ts";
import type { PredictionRecord } from "../predictions/store.ts";
import type { QueueJson } from "./v1/queue-info.ts";

export interface PredictionJson {
  id: string;
  model: string;
  version: string;
  input: Record<string, unknown>;
  logs: string;
  output: unknown;
  data_removed: boolean;
  error: string | null;
  status: string;
  source: string;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  deadline?: string;
  deployment?: string;
  webhook: string | null;
  webhook_events_filter: string[] | null;
  metrics: Record<string, number>;
  /** modelhub extension, while waiting for a slot */
  queue?: QueueJson;
  urls: Record<string, string>;
}

/**
 * Output file URLs are made on the origin the prediction was created through; a client on another
 * origin (localhost vs 127.0.0.1, a proxy) gets them on its own. Costs nothing when they agree.
 */
function rebaseOutput(v: unknown, from: string, to: string): unknown {
  if (typeof v === "string") return v.startsWith(from) ? to + v.slice(from.length) : v;
  if (Array.isArray(v)) return v.map((x) => rebaseOutput(x, from, to));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rebaseOutput(x, from, to)]));
  return v;
}

/**
 * The stream URL: a capability (no auth). Under /v1/files/ for file-output models, because the JS
 * client wraps every output chunk of such a stream in a FileOutput; never there for text models.
 */
export function streamUrl(p: PredictionRecord, origin: string): string {
  return `${origin}${p.fileOutput ? "/v1/files/streams/" : "/v1/streams/"}${p.streamToken}`;
}

export function presentPrediction(p: PredictionRecord, origin: string): PredictionJson {
  const output = p.origin && p.origin !== origin && p.output !== null ? rebaseOutput(p.output, `${p.origin}/files/`, `${origin}/files/`) : p.output;
  const out: PredictionJson = {
    id: p.id,
    model: p.model,
    version: p.versionId,
    input: p.input,
    logs: p.logs,
    output,
    data_removed: false,
    error: p.error,
    status: p.status,
    source: p.source,
    created_at: p.createdAt,
    started_at: p.startedAt,
    completed_at: p.completedAt,
    webhook: p.webhook,
    webhook_events_filter: p.webhookEventsFilter,
    metrics: p.metrics,
    // Python 1.x types urls as Dict[str, str]: never a null value.
    urls: {
      get: `${origin}/v1/predictions/${p.id}`,
      cancel: `${origin}/v1/predictions/${p.id}/cancel`,
      web: `${origin}/p/${p.id}`,
      stream: streamUrl(p, origin),
    },
  };
  if (p.deadline) out.deadline = p.deadline;
  if (p.deployment) out.deployment = p.deployment;
  return out;
}


/** A Files API object: every field Python 1.x requires (id, name, content_type, size, etag, checksums, metadata, created_at, urls). */
export function presentFile(f: FileRecord, origin: string) {
  return {
    id: f.id,
    name: f.name,
    content_type: f.contentType,
    size: f.size,
    etag: f.md5,
    checksums: { sha256: f.sha256, md5: f.md5 },
    metadata: f.metadata,
    created_at: f.createdAt,
    expires_at: f.expiresAt,
    urls: { get: `${origin}/v1/files/${f.id}` },
  };
}
