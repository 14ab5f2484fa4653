// Turns domain records into Replicate-shaped JSON with absolute URLs on the public origin.
import type { ModelRow, Version } from "../catalog/catalog.ts";
import type { PredictionRecord } from "../predictions/store.ts";

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
  urls: Record<string, string>;
}

export function presentPrediction(p: PredictionRecord, origin: string): PredictionJson {
  const out: PredictionJson = {
    id: p.id,
    model: p.model,
    version: p.versionId,
    input: p.input,
    logs: p.logs,
    output: p.output,
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
    },
  };
  if (p.deadline) out.deadline = p.deadline;
  if (p.deployment) out.deployment = p.deployment;
  return out;
}

export function presentVersion(v: Version) {
  return { id: v.id, created_at: v.createdAt, cog_version: v.cogVersion, openapi_schema: v.openapiSchema };
}

export function presentModel(m: ModelRow, latest: Version | null, runCount: number, origin: string) {
  return {
    url: `${origin}/${m.owner}/${m.name}`,
    owner: m.owner,
    name: m.name,
    description: m.description,
    visibility: m.visibility,
    github_url: null,
    paper_url: null,
    license_url: null,
    run_count: runCount,
    cover_image_url: null,
    is_official: false,
    default_example: null,
    latest_version: latest ? presentVersion(latest) : null,
    created_at: m.created_at,
  };
}
