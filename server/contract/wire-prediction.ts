// Wire shape of a prediction and the body that creates one (docs/replicate-api.md, Objects and Creating a prediction).
import { t } from "elysia";
import { HttpUrl, orNull, QueuePosition, Timestamp } from "./wire-common.ts";

export const PredictionStatus = t.Union(
  [t.Literal("starting"), t.Literal("processing"), t.Literal("succeeded"), t.Literal("failed"), t.Literal("canceled")],
  { description: "never `aborted`: Python 1.x rejects it and JS would poll forever" },
);

export const WebhookEvent = t.Union([t.Literal("start"), t.Literal("output"), t.Literal("logs"), t.Literal("completed")]);

/** Python 1.x requires id, model, version and status; urls is Dict[str, str], so no null values. */
export const Prediction = t.Object({
  id: t.String(),
  model: t.String({ description: "owner/name" }),
  version: t.String(),
  status: PredictionStatus,
  input: t.Record(t.String(), t.Unknown()),
  output: t.Optional(t.Unknown()),
  logs: t.Optional(orNull(t.String())),
  error: t.Optional(orNull(t.String())),
  data_removed: t.Optional(t.Boolean()),
  source: t.Optional(t.Union([t.Literal("api"), t.Literal("web")])),
  created_at: Timestamp,
  started_at: t.Optional(orNull(Timestamp)),
  completed_at: t.Optional(orNull(Timestamp)),
  deadline: t.Optional(orNull(Timestamp)),
  deployment: t.Optional(orNull(t.String())),
  webhook: t.Optional(orNull(t.String())),
  webhook_events_filter: t.Optional(orNull(t.Array(WebhookEvent))),
  metrics: t.Optional(t.Record(t.String(), t.Number())),
  queue: t.Optional(t.Intersect([QueuePosition], { description: "modelhub extension: present while the prediction waits for a slot", "x-modelhub-extension": true })),
  urls: t.Object(
    {
      get: t.String(),
      cancel: t.String(),
      web: t.Optional(t.String()),
      stream: t.Optional(t.String({ description: "Server-Sent Events; a capability URL that needs no auth" })),
    },
    { additionalProperties: t.String() },
  ),
});

/** null is accepted wherever a field is optional: it means "not given", as for clients that send it. */
export const PredictionCreate = t.Object({
  version: t.String({ minLength: 1, description: "a version id, owner/name or owner/name:id" }),
  input: t.Record(t.String(), t.Unknown()),
  webhook: t.Optional(orNull(HttpUrl)),
  webhook_completed: t.Optional(orNull(HttpUrl, "legacy alias of webhook")),
  webhook_events_filter: t.Optional(orNull(t.Array(WebhookEvent))),
  stream: t.Optional(orNull(t.Boolean({ description: "deprecated and ignored; every prediction has urls.stream" }))),
});

/** POST /v1/models/{owner}/{name}/predictions and deployments: the same body without `version`. */
export const PredictionCreateByName = t.Omit(PredictionCreate, ["version"]);
