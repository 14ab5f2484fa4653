// Wire shapes of models and versions, and the bodies that create, change or import them (docs/replicate-api.md, Objects).
import { t } from "elysia";
import { HttpUrl, Int, orNull, Timestamp } from "./wire-common.ts";
import { Prediction } from "./wire-prediction.ts";

/** Python 1.x requires id, created_at, a non-null cog_version and a dict openapi_schema. */
export const Version = t.Object({
  id: t.String({ description: "the image's content digest, 64 hex" }),
  created_at: Timestamp,
  cog_version: t.String(),
  openapi_schema: t.Record(t.String(), t.Unknown(), { description: "the image's Cog OpenAPI schema (Input, Output)" }),
  image: t.Optional(t.String({ description: "modelhub: the Docker image reference the version was imported from" })),
  cog_runtime: t.Optional(
    t.Object(
      {
        line: t.Union([t.Literal("coglet"), t.Literal("python")]),
        source: t.Union([t.Literal("label"), t.Literal("container")]),
        server_version: t.Union([t.String(), t.Null()]),
        warning: t.Optional(t.String({ description: "what modelhub cannot do well with this image and why (e.g. built by Cog before 0.7: sync predictions only)" })),
      },
      {
        description:
          "modelhub: the Cog server its containers run: `coglet` (the Rust server of Cog 0.17+) or `python` (Cog's FastAPI server, 0.7–0.16); " +
          "from a running container's health answer when one is up (`source: container`), else from the image's run.cog.version label",
      },
    ),
  ),
  import: t.Optional(
    t.Object(
      {
        status: t.Union([t.Literal("importing"), t.Literal("ready"), t.Literal("failed")]),
        progress: t.Union([t.String(), t.Null()]),
        error: t.Union([t.String(), t.Null()]),
      },
      { description: "modelhub: a version pushed to the registry (/v2/), and where getting it into the Docker engine stands" },
    ),
  ),
});

export const Visibility = t.Union([t.Literal("public"), t.Literal("private")]);
export const PredictionsVisibility = t.Union([t.Literal("owner"), t.Literal("public")], {
  description: "modelhub: who sees this model's predictions: \"owner\" (the token that made each one, and admins) or \"public\" (anyone who may see the model)",
});

/** Python 1.x requires url, owner, name, visibility and an integer run_count; the rest may be null. */
export const Model = t.Object({
  url: t.String({ description: "absolute URL of the model's web page" }),
  owner: t.String(),
  name: t.String(),
  description: orNull(t.String()),
  visibility: Visibility,
  predictions_visibility: PredictionsVisibility,
  github_url: orNull(t.String()),
  paper_url: orNull(t.String()),
  license_url: orNull(t.String()),
  cover_image_url: orNull(t.String()),
  run_count: Int({ minimum: 0 }),
  is_official: t.Boolean(),
  default_example: orNull(Prediction),
  latest_version: orNull(Version),
  created_at: Timestamp,
  hardware: orNull(t.String({ description: "modelhub: the SKU (GET /v1/hardware) this model runs on; null when no run policy is mounted" })),
});

const Hardware = t.String({ minLength: 1, maxLength: 64, description: "a SKU from GET /v1/hardware" });
const Text = (max: number) => t.String({ maxLength: max });

export const ModelCreate = t.Object({
  owner: t.String({ minLength: 1, maxLength: 100 }),
  name: t.String({ minLength: 1, maxLength: 100 }),
  visibility: t.Optional(Visibility),
  predictions_visibility: t.Optional(PredictionsVisibility),
  hardware: t.Optional(Hardware),
  description: t.Optional(orNull(Text(5000))),
  github_url: t.Optional(orNull(HttpUrl)),
  paper_url: t.Optional(orNull(HttpUrl)),
  license_url: t.Optional(orNull(HttpUrl)),
  cover_image_url: t.Optional(orNull(HttpUrl)),
  readme: t.Optional(orNull(Text(200_000))),
});

/** Any subset of the create fields but owner and name; null clears a field. Unknown fields
 * (weights_url) are ignored, as the spec recommends. */
export const ModelUpdate = t.Omit(ModelCreate, ["owner", "name"]);

/** modelhub extension: import a local Cog image as a version. */
export const VersionImport = t.Object({
  image: t.String({ minLength: 1, maxLength: 512, description: "a local Docker image reference, e.g. acme/hello:latest" }),
});

/** QUERY /v1/models: the search text (text/plain). A search is a few words typed by a person; a
 *  longer body is a mistake, not a query. */
export const ModelSearch = t.String({ maxLength: 1000 });
