// GET /openapi.json: modelhub's own OpenAPI 3.1 document, built from the same `t` wire schemas
// (server/contract/wire-*.ts) the routes check bodies with and present responses as. It lists only
// routes actually mounted, so it never documents an endpoint this server does not answer.
import { Elysia, type TSchema } from "elysia";
import { t } from "elysia";
import { Account, Collection, CollectionDetail } from "../contract/wire-account.ts";
import { FieldProblem, Page, Problem } from "../contract/wire-common.ts";
import { Deployment, DeploymentCreate, DeploymentUpdate, Hardware, HardwareList } from "../contract/wire-deployment.ts";
import {
  Health,
  InstancesStop,
  InstancesView,
  InstanceStop,
  ModelPolicyPatch,
  ModelPolicyView,
  QueueView,
  StopResult,
  VersionRetry,
} from "../contract/wire-extensions.ts";
import { FileObject, FileUpload, WebhookSecret } from "../contract/wire-files.ts";
import { ImageLoadProgress, ImageLoadResult, ImageLoadStarted, ImagePull } from "../contract/wire-image.ts";
import { Model, ModelCreate, ModelSearch, ModelUpdate, Version, VersionImport } from "../contract/wire-model.ts";
import { Prediction, PredictionCreate, PredictionCreateByName } from "../contract/wire-prediction.ts";
import { TokenCreate, TokenCreated, TokenInfo } from "../contract/wire-tokens.ts";
import { NodeCreate, NodeDrain, NodeList, NodeView } from "../contract/wire-nodes.ts";
import type { HttpDeps } from "./http-context.ts";
import { json, originOf } from "./respond.ts";
import { type MountedRoute, openApiPath, pathShape } from "./route-table.ts";

const JSON_TYPE = "application/json";
const PROBLEM_TYPE = "application/problem+json";

/** Named schemas, emitted under components.schemas and referenced wherever they occur. */
export const COMPONENTS: Record<string, TSchema> = {
  Problem,
  FieldProblem,
  Prediction,
  PredictionCreate,
  PredictionCreateByName,
  PredictionPage: Page(Prediction),
  Model,
  ModelCreate,
  ModelUpdate,
  ModelPage: Page(Model),
  Version,
  VersionImport,
  VersionPage: Page(Version),
  Account,
  Collection,
  CollectionDetail,
  CollectionPage: Page(Collection),
  Hardware,
  HardwareList,
  Deployment,
  DeploymentCreate,
  DeploymentUpdate,
  DeploymentPage: Page(Deployment),
  File: FileObject,
  FilePage: Page(FileObject),
  WebhookSecret,
  Health,
  ModelPolicyView,
  ModelPolicy: ModelPolicyPatch,
  VersionRetry,
  InstancesView,
  InstancesStop,
  InstanceStop,
  StopResult,
  QueueView,
  TokenCreate,
  TokenCreated,
  Token: TokenInfo,
  TokenPage: Page(TokenInfo),
  NodeCreate,
  NodeDrain,
  Node: NodeView,
  NodeList,
};

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "QUERY";

interface Param {
  name: string;
  description: string;
  schema?: TSchema;
}

/** One documented route. `ok` is its success response; every route also documents problem bodies. */
export interface OperationSpec {
  method: Method;
  path: string; // Elysia form, "/v1/models/:owner/:name"
  id: string;
  summary: string;
  tag: string;
  /** not part of Replicate's API: marked `x-modelhub-extension: true` */
  extension?: boolean;
  description?: string;
  body?: { schema: TSchema; type?: string; required?: boolean; description?: string };
  query?: Param[];
  headers?: Param[];
  ok: { status: number; description: string; schema?: TSchema; type?: string; headers?: Record<string, string> };
  /** error statuses worth naming (all are problem bodies; `default` covers the rest) */
  errors?: number[];
}

const cursor: Param = { name: "cursor", description: "opaque; follow the `next` URL of the previous page rather than building it" };
const pageOf = (schema: TSchema, what: string) => ({ status: 200, description: `a page of ${what}, newest first`, schema });
const prefer: Param = {
  name: "Prefer",
  description: "`wait` or `wait=N` (1–60 s): hold the request until the prediction finishes; if it has not, answer with status `starting`",
  schema: t.String({ pattern: "^wait(=([1-9]|[1-5][0-9]|60))?$" }),
};
const cancelAfter: Param = { name: "Cancel-After", description: "a duration like 90s or 5m after which the prediction is canceled; shown as `deadline`" };
const created = (schema: TSchema, what: string) => ({ status: 201, description: `the new ${what}`, schema });
const noContent = { status: 204, description: "deleted; empty body" };

/** Every route modelhub may mount. Routes not mounted in this app are left out of the document. */
export const OPERATIONS: readonly OperationSpec[] = [
  // Predictions
  { method: "POST", path: "/v1/predictions", id: "predictions.create", tag: "predictions", summary: "Create a prediction", body: { schema: PredictionCreate }, headers: [prefer, cancelAfter], ok: created(Prediction, "prediction (status `starting`, or the result with Prefer: wait)"), errors: [404, 413, 422, 429, 503] },
  { method: "POST", path: "/v1/models/:owner/:name/predictions", id: "models.predictions.create", tag: "predictions", summary: "Create a prediction with a model's latest version", body: { schema: PredictionCreateByName }, headers: [prefer, cancelAfter], ok: created(Prediction, "prediction"), errors: [404, 413, 422, 429, 503] },
  { method: "GET", path: "/v1/predictions", id: "predictions.list", tag: "predictions", summary: "List predictions", query: [cursor], ok: pageOf(COMPONENTS.PredictionPage, "predictions") },
  { method: "GET", path: "/v1/predictions/:id", id: "predictions.get", tag: "predictions", summary: "Get a prediction", ok: { status: 200, description: "the prediction", schema: Prediction }, errors: [404] },
  { method: "DELETE", path: "/v1/predictions/:id", id: "predictions.delete", tag: "predictions", extension: true, summary: "Delete a finished prediction with its output files (modelhub extension; the token that made it, or an admin)", ok: noContent, errors: [404, 409] },
  { method: "POST", path: "/v1/predictions/:id/cancel", id: "predictions.cancel", tag: "predictions", summary: "Cancel a prediction", ok: { status: 200, description: "the prediction, `canceled` unless it had already finished", schema: Prediction }, errors: [404] },
  { method: "GET", path: "/v1/predictions/:id/queue", id: "predictions.queue", tag: "modelhub", extension: true, summary: "A waiting prediction's place in line and estimated start", ok: { status: 200, description: "queue position, or `queue: null` when not waiting", schema: QueueView }, errors: [404] },
  // Streams and files
  { method: "GET", path: "/v1/streams/:token", id: "streams.get", tag: "streams", summary: "Server-Sent Events of a prediction (urls.stream; no auth)", description: "Events `output`, `logs`, `error`, `done`, each with an `id:`; replays from the start for a late subscriber.", ok: { status: 200, description: "an event stream", type: "text/event-stream", schema: t.String() }, errors: [404] },
  { method: "GET", path: "/v1/files/streams/:token", id: "streams.files.get", tag: "streams", summary: "Server-Sent Events of a file-output prediction (urls.stream; no auth)", description: "Under /v1/files/ so the JS client wraps each output in a FileOutput.", ok: { status: 200, description: "an event stream", type: "text/event-stream", schema: t.String() }, errors: [404] },
  { method: "POST", path: "/v1/files", id: "files.create", tag: "files", summary: "Upload a file", body: { schema: FileUpload, type: "multipart/form-data" }, ok: created(FileObject, "file"), errors: [413, 422] },
  { method: "GET", path: "/v1/files", id: "files.list", tag: "files", summary: "List uploaded files", query: [cursor], ok: pageOf(COMPONENTS.FilePage, "files") },
  { method: "GET", path: "/v1/files/:id", id: "files.get", tag: "files", summary: "Get a file's metadata", ok: { status: 200, description: "the file", schema: FileObject }, errors: [404] },
  { method: "DELETE", path: "/v1/files/:id", id: "files.delete", tag: "files", summary: "Delete a file", ok: noContent, errors: [404] },
  { method: "GET", path: "/files/:token", id: "files.download", tag: "files", extension: true, summary: "A file's bytes at its capability URL (no auth; Range supported)", ok: { status: 200, description: "the file, with its content type", type: "application/octet-stream", schema: t.String({ format: "binary" }) }, errors: [404, 416] },
  { method: "GET", path: "/files/:token/:name", id: "files.download.named", tag: "files", extension: true, summary: "A file's bytes, with its name in the URL", ok: { status: 200, description: "the file", type: "application/octet-stream", schema: t.String({ format: "binary" }) }, errors: [404, 416] },
  { method: "HEAD", path: "/files/:token", id: "files.head", tag: "files", extension: true, summary: "A file's size and type without its bytes", ok: { status: 200, description: "headers only" }, errors: [404] },
  { method: "HEAD", path: "/files/:token/:name", id: "files.head.named", tag: "files", extension: true, summary: "A file's size and type without its bytes", ok: { status: 200, description: "headers only" }, errors: [404] },
  { method: "GET", path: "/v1/webhooks/default/secret", id: "webhooks.default.secret.get", tag: "webhooks", summary: "The secret webhooks are signed with", ok: { status: 200, description: "the signing secret", schema: WebhookSecret } },
  // Models and versions
  { method: "GET", path: "/v1/models", id: "models.list", tag: "models", summary: "List models", query: [cursor, { name: "sort_by", description: "model_created_at (default) or latest_version_created_at" }, { name: "sort_direction", description: "desc (default) or asc" }], ok: pageOf(COMPONENTS.ModelPage, "models"), errors: [422] },
  { method: "QUERY", path: "/v1/models", id: "models.search", tag: "models", summary: "Search models", description: "The body is the search text (text/plain), matched against owner/name, description and readme. `next` keeps the search.", body: { schema: ModelSearch, type: "text/plain" }, ok: pageOf(COMPONENTS.ModelPage, "matching models"), errors: [422] },
  { method: "POST", path: "/v1/models", id: "models.create", tag: "models", summary: "Create a model", description: "`hardware` becomes the model's run policy (its GPUs); versions are added by importing images.", body: { schema: ModelCreate }, ok: created(Model, "model"), errors: [409, 413, 422] },
  { method: "GET", path: "/v1/models/:owner/:name", id: "models.get", tag: "models", summary: "Get a model", ok: { status: 200, description: "the model", schema: Model }, errors: [404] },
  { method: "PATCH", path: "/v1/models/:owner/:name", id: "models.update", tag: "models", summary: "Update a model", body: { schema: ModelUpdate, description: "any subset; null clears a field" }, ok: { status: 200, description: "the model", schema: Model }, errors: [404, 422] },
  { method: "DELETE", path: "/v1/models/:owner/:name", id: "models.delete", tag: "models", summary: "Delete a model, its versions, policy and deployments (images stay on disk)", ok: noContent, errors: [404] },
  { method: "GET", path: "/v1/models/:owner/:name/readme", id: "models.readme.get", tag: "models", summary: "A model's README (markdown; empty when it has none)", ok: { status: 200, description: "markdown", type: "text/markdown", schema: t.String() }, errors: [404] },
  { method: "GET", path: "/v1/models/:owner/:name/versions", id: "models.versions.list", tag: "models", summary: "List a model's versions", query: [cursor], ok: pageOf(COMPONENTS.VersionPage, "versions"), errors: [404] },
  { method: "POST", path: "/v1/models/:owner/:name/versions", id: "models.versions.import", tag: "models", extension: true, summary: "Import a local Cog image as a version", description: "201 for a new version, 200 when the image was already this model's version (a retry of a failed setup).", body: { schema: VersionImport }, ok: created(Version, "version"), errors: [404, 409, 422, 503] },
  { method: "GET", path: "/v1/models/:owner/:name/versions/:id", id: "models.versions.get", tag: "models", summary: "Get a version", ok: { status: 200, description: "the version", schema: Version }, errors: [404] },
  { method: "DELETE", path: "/v1/models/:owner/:name/versions/:id", id: "models.versions.delete", tag: "models", summary: "Delete a version (its image stays on disk)", ok: noContent, errors: [404] },
  { method: "POST", path: "/v1/models/:owner/:name/versions/:id/retry", id: "models.versions.retry", tag: "modelhub", extension: true, summary: "Forget a version's setup failure so the next prediction boots it again", ok: { status: 200, description: "the cleared failure", schema: VersionRetry }, errors: [404] },
  { method: "GET", path: "/v1/models/:owner/:name/policy", id: "models.policy.get", tag: "modelhub", extension: true, summary: "A model's run policy and the values in force", ok: { status: 200, description: "stored and effective policy", schema: ModelPolicyView }, errors: [404] },
  { method: "PATCH", path: "/v1/models/:owner/:name/policy", id: "models.policy.update", tag: "modelhub", extension: true, summary: "Change a model's run policy (null resets a field)", body: { schema: ModelPolicyPatch }, ok: { status: 200, description: "stored and effective policy", schema: ModelPolicyView }, errors: [404, 422] },
  // Collections, account, hardware
  { method: "GET", path: "/v1/collections", id: "collections.list", tag: "collections", summary: "List collections: `all` and one per owner (`by-<owner>`)", query: [cursor], ok: pageOf(COMPONENTS.CollectionPage, "collections") },
  { method: "GET", path: "/v1/collections/:slug", id: "collections.get", tag: "collections", summary: "A collection with its models", ok: { status: 200, description: "the collection", schema: CollectionDetail }, errors: [404] },
  { method: "GET", path: "/v1/account", id: "account.get", tag: "account", summary: "The account (modelhub has one local user)", ok: { status: 200, description: "the account", schema: Account } },
  { method: "GET", path: "/v1/hardware", id: "hardware.list", tag: "hardware", summary: "Hardware SKUs of this machine (a bare array)", ok: { status: 200, description: "SKUs", schema: HardwareList } },
  // Deployments
  { method: "GET", path: "/v1/deployments", id: "deployments.list", tag: "deployments", summary: "List deployments", ok: pageOf(COMPONENTS.DeploymentPage, "deployments") },
  { method: "POST", path: "/v1/deployments", id: "deployments.create", tag: "deployments", summary: "Create a deployment", body: { schema: DeploymentCreate }, ok: created(Deployment, "deployment"), errors: [404, 409, 422] },
  { method: "GET", path: "/v1/deployments/:owner/:name", id: "deployments.get", tag: "deployments", summary: "Get a deployment", ok: { status: 200, description: "the deployment", schema: Deployment }, errors: [404] },
  { method: "PATCH", path: "/v1/deployments/:owner/:name", id: "deployments.update", tag: "deployments", summary: "Update a deployment (a new release)", body: { schema: DeploymentUpdate }, ok: { status: 200, description: "the deployment", schema: Deployment }, errors: [404, 422] },
  { method: "DELETE", path: "/v1/deployments/:owner/:name", id: "deployments.delete", tag: "deployments", summary: "Delete a deployment", ok: noContent, errors: [404] },
  { method: "POST", path: "/v1/deployments/:owner/:name/predictions", id: "deployments.predictions.create", tag: "predictions", summary: "Create a prediction on a deployment", body: { schema: PredictionCreateByName }, headers: [prefer, cancelAfter], ok: created(Prediction, "prediction"), errors: [404, 413, 422, 429, 503] },
  // modelhub's own
  { method: "GET", path: "/v1/instances", id: "instances.list", tag: "modelhub", extension: true, summary: "Running containers, queues, GPUs and measured boot/predict times", ok: { status: 200, description: "what runs where", schema: InstancesView } },
  { method: "POST", path: "/v1/instances/stop", id: "instances.stop", tag: "modelhub", extension: true, summary: "Stop the containers of a model, a deployment, or all", body: { schema: InstancesStop }, ok: { status: 200, description: "what was stopped", schema: StopResult }, errors: [404, 422] },
  { method: "POST", path: "/v1/instances/:id/stop", id: "instances.stop.one", tag: "modelhub", extension: true, summary: "Stop one container", body: { schema: InstanceStop, required: false }, ok: { status: 200, description: "what was stopped", schema: StopResult }, errors: [404, 422] },
  { method: "GET", path: "/v1/tokens", id: "tokens.list", tag: "modelhub", extension: true, summary: "API tokens (admin; the tokens themselves are never shown again)", ok: pageOf(COMPONENTS.TokenPage, "tokens") },
  { method: "POST", path: "/v1/tokens", id: "tokens.create", tag: "modelhub", extension: true, summary: "Make an API token (admin); the answer is the only time it is shown", body: { schema: TokenCreate }, ok: created(TokenCreated, "token"), errors: [409, 422] },
  { method: "GET", path: "/v1/nodes", id: "nodes.list", tag: "modelhub", extension: true, summary: "The machines models run on: state, GPUs, instances, last seen (admin)", ok: { status: 200, description: "every node, local first", schema: NodeList } },
  { method: "GET", path: "/v1/nodes/:name", id: "nodes.get", tag: "modelhub", extension: true, summary: "One node: state, GPUs, instances, last seen (admin)", ok: { status: 200, description: "the node", schema: NodeView }, errors: [404] },
  { method: "POST", path: "/v1/nodes", id: "nodes.create", tag: "modelhub", extension: true, summary: "Add a node: another machine's Docker engine over mutual TLS (admin); checked once before the answer", body: { schema: NodeCreate }, ok: created(NodeView, "node"), errors: [409, 422] },
  { method: "POST", path: "/v1/nodes/:name/drain", id: "nodes.drain", tag: "modelhub", extension: true, summary: "Drain a node (no new work goes there), or undo it with {drained: false} (admin)", body: { schema: NodeDrain, required: false }, ok: { status: 200, description: "the node", schema: NodeView }, errors: [404, 409, 422] },
  { method: "DELETE", path: "/v1/nodes/:name", id: "nodes.delete", tag: "modelhub", extension: true, summary: "Remove a node (409 while instances run there, unless ?force=1) (admin)", ok: noContent, errors: [404, 409] },
  { method: "DELETE", path: "/v1/tokens/:id", id: "tokens.delete", tag: "modelhub", extension: true, summary: "Revoke a token by id or name (admin)", ok: noContent, errors: [404] },
  { method: "POST", path: "/v1/images/pull", id: "images.pull", tag: "modelhub", extension: true, summary: "Pull an image through the Docker engine and add it to the catalog", description: "NDJSON: the engine's progress lines, then `{status, model, version}` or `{error}` (a problem). A reference outside the Docker grammar is a 400.", body: { schema: ImagePull }, ok: { status: 200, description: "progress, one JSON object per line", type: "application/x-ndjson", schema: t.String() }, errors: [400, 404, 422, 503] },
  { method: "GET", path: "/v1/models/:owner/:name/versions/:id/image", id: "models.versions.image", tag: "modelhub", extension: true, summary: "A version's image as docker save writes it (streamed)", ok: { status: 200, description: "a tar; x-image-size gives the image's size", type: "application/x-tar", schema: t.String({ format: "binary" }) }, errors: [404, 503] },
  { method: "POST", path: "/v1/images/loads", id: "images.loads.create", tag: "modelhub", extension: true, summary: "Start a docker load fed in parts", ok: created(ImageLoadStarted, "load") },
  { method: "PUT", path: "/v1/images/loads/:id", id: "images.loads.append", tag: "modelhub", extension: true, summary: "The next part of the image tar (query `offset`: bytes sent so far)", query: [{ name: "offset", description: "bytes sent before this part" }], body: { schema: t.String({ format: "binary" }), type: "application/octet-stream" }, ok: { status: 200, description: "bytes received so far", schema: ImageLoadProgress }, errors: [400, 404, 409, 413] },
  { method: "POST", path: "/v1/images/loads/:id/finish", id: "images.loads.finish", tag: "modelhub", extension: true, summary: "End the tar and wait for the engine to load it", ok: { status: 200, description: "the images loaded", schema: ImageLoadResult }, errors: [400, 404, 409, 503] },
  { method: "DELETE", path: "/v1/images/loads/:id", id: "images.loads.delete", tag: "modelhub", extension: true, summary: "Abandon a load", ok: noContent },
  { method: "GET", path: "/health", id: "health", tag: "modelhub", extension: true, summary: "Is the server up, and can it reach the Docker engine?", ok: { status: 200, description: "healthy (503 with the same body when Docker is unreachable)", schema: Health } },
  { method: "GET", path: "/metrics", id: "metrics", tag: "modelhub", extension: true, summary: "Prometheus metrics: predictions, queue waits, boots, instances, webhooks, HTTP requests", ok: { status: 200, description: "text exposition format 0.0.4", type: "text/plain", schema: t.String() } },
  { method: "GET", path: "/openapi.json", id: "openapi", tag: "modelhub", extension: true, summary: "This document", ok: { status: 200, description: "OpenAPI 3.1", schema: t.Record(t.String(), t.Unknown()) } },
  { method: "GET", path: "/", id: "web", tag: "modelhub", extension: true, summary: "The web UI", ok: { status: 200, description: "the app", type: "text/html", schema: t.String() } },
  { method: "GET", path: "/models/:owner/:name", id: "webModel", tag: "modelhub", extension: true, summary: "A model's page in the web UI (its `url`)", ok: { status: 200, description: "the app", type: "text/html", schema: t.String() } },
  { method: "GET", path: "/p/:id", id: "webPrediction", tag: "modelhub", extension: true, summary: "A prediction's page in the web UI (its `urls.web`)", ok: { status: 200, description: "the app", type: "text/html", schema: t.String() } },
];

const ERROR_TEXT: Record<number, string> = {
  400: "malformed request (e.g. invalid JSON)",
  401: "no valid token (see WWW-Authenticate)",
  403: "the token may not do this (admin only), or a cross-site request",
  404: "no such resource",
  405: "the path exists but not with this method (see Allow)",
  409: "conflicts with what exists",
  413: "body over the size limit",
  416: "range not satisfiable",
  422: "invalid input; `invalid_fields` names each field",
  429: "queue full; see Retry-After",
  503: "the Docker engine is unreachable",
};

/**
 * Plain JSON Schema from a TypeBox schema: drops its symbol keys (JSON does) and replaces every
 * occurrence of a named component but the component's own root with a $ref. Components are
 * recognised by structure, so t.Optional()/t.Union() copies of them are found too.
 */
function toJsonSchema(schema: TSchema, byShape: Map<string, string>, self?: string): unknown {
  const walk = (node: unknown, root: boolean): unknown => {
    if (Array.isArray(node)) return node.map((x) => walk(x, false));
    if (!node || typeof node !== "object") return node;
    if (!root) {
      const name = byShape.get(JSON.stringify(node));
      if (name && name !== self) return { $ref: `#/components/schemas/${name}` };
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = walk(v, false);
    return out;
  };
  return walk(schema, true);
}

export interface OpenApiDocument {
  openapi: string;
  info: Record<string, unknown>;
  servers?: { url: string }[];
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, unknown> };
}

const TAGS: Record<string, string> = {
  predictions: "Replicate-compatible: run models",
  streams: "Replicate-compatible: live output as Server-Sent Events",
  files: "Replicate-compatible Files API, and modelhub's capability download URLs",
  webhooks: "Replicate-compatible webhook signing",
  models: "Replicate-compatible models and versions",
  collections: "Replicate-compatible collections",
  account: "Replicate-compatible account",
  hardware: "Replicate-compatible hardware list",
  deployments: "Replicate-compatible deployments",
  modelhub: "modelhub's own endpoints",
};

/** The document for the mounted routes; `servers` is added per request. */
export function buildOpenApi(mounted: readonly MountedRoute[], version: string): OpenApiDocument {
  const byShape = new Map<string, string>();
  for (const [name, s] of Object.entries(COMPONENTS)) if (!byShape.has(JSON.stringify(s))) byShape.set(JSON.stringify(s), name);
  const ref = (s: TSchema) => {
    const name = byShape.get(JSON.stringify(s));
    return name ? { $ref: `#/components/schemas/${name}` } : toJsonSchema(s, byShape);
  };
  const problemRef = { $ref: "#/components/schemas/Problem" };
  const mountedKeys = new Set(mounted.map((r) => `${r.method} ${pathShape(r.path)}`));

  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    if (!mountedKeys.has(`${op.method} ${pathShape(op.path)}`)) continue;
    const path = openApiPath(op.path);
    const parameters = [
      ...[...path.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } })),
      ...(op.query ?? []).map((q) => ({ name: q.name, in: "query", required: false, description: q.description, schema: q.schema ? ref(q.schema) : { type: "string" } })),
      ...(op.headers ?? []).map((h) => ({ name: h.name, in: "header", required: false, description: h.description, schema: h.schema ? ref(h.schema) : { type: "string" } })),
    ];
    const responses: Record<string, unknown> = {
      [String(op.ok.status)]: {
        description: op.ok.description,
        ...(op.ok.schema ? { content: { [op.ok.type ?? JSON_TYPE]: { schema: ref(op.ok.schema) } } } : {}),
      },
    };
    for (const code of op.errors ?? []) responses[String(code)] = { description: ERROR_TEXT[code] ?? "error", content: { [PROBLEM_TYPE]: { schema: problemRef } } };
    responses.default = { description: "any other error, as a problem body", content: { [PROBLEM_TYPE]: { schema: problemRef } } };
    const operation: Record<string, unknown> = {
      operationId: op.id,
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      tags: [op.tag],
      ...(parameters.length ? { parameters } : {}),
      ...(op.body
        ? { requestBody: { required: op.body.required ?? true, ...(op.body.description ? { description: op.body.description } : {}), content: { [op.body.type ?? JSON_TYPE]: { schema: ref(op.body.schema) } } } }
        : {}),
      responses,
      ...(op.extension ? { "x-modelhub-extension": true } : {}),
    };
    // OpenAPI 3.1 has no QUERY operation (3.2 adds `query`); an x- key keeps the document valid.
    const key = op.method === "QUERY" ? "x-query" : op.method.toLowerCase();
    (paths[path] ??= {})[key] = operation;
  }

  const schemas: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(COMPONENTS)) schemas[name] = toJsonSchema(s, byShape, name);
  const usedTags = new Set(OPERATIONS.filter((op) => mountedKeys.has(`${op.method} ${pathShape(op.path)}`)).map((op) => op.tag));
  return {
    openapi: "3.1.0",
    info: {
      title: "modelhub",
      version,
      description:
        "Runs Cog models and serves Replicate's HTTP API, so the official `replicate` clients work with only their base URL changed. " +
        "Operations marked `x-modelhub-extension: true` are modelhub's own. Every error is an application/problem+json body {title, detail, status}. " +
        "QUERY /v1/models (search) is under the path item's `x-query` key, since OpenAPI 3.1 has no QUERY method.",
    },
    tags: Object.entries(TAGS).filter(([name]) => usedTags.has(name)).map(([name, description]) => ({ name, description })),
    paths,
    components: { schemas },
  };
}

/** `routes` is read on the first request, once every module is mounted. */
export function openApiRoutes(d: HttpDeps, routes: () => readonly MountedRoute[]) {
  let doc: OpenApiDocument | null = null;
  return new Elysia({ name: "openapi" }).get("/openapi.json", ({ request }) => {
    doc ??= buildOpenApi(routes(), d.version);
    return json({ ...doc, servers: [{ url: originOf(request, d.config.publicUrl) }] });
  });
}
