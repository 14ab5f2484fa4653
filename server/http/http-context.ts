// What the HTTP layer is given by the composition root: services and settings, nothing else.
import type { TokenStore } from "../auth/tokens.ts";
import type { Catalog } from "../catalog/catalog.ts";
import type { Config } from "../config.ts";
import type { FileService } from "../files/service.ts";
import type { Logger } from "../log.ts";
import type { ModelhubMetrics } from "../metrics/modelhub-metrics.ts";
import type { PredictionService } from "../predictions/service.ts";
import type { PredictionStore } from "../predictions/store.ts";
import type { ContainerRuntime } from "../runtime/runtime.ts";
import type { Scheduler } from "../scheduler/scheduler.ts";
import type { WebhookSecrets } from "../webhooks/secret.ts";
import type { TargetPolicy } from "../webhooks/target-policy.ts";
import type { RateLimiter } from "./rate-limit.ts";
import type { ImageServices } from "./v1/images.ts";
import type { NodeService } from "../nodes/node-service.ts";

export interface HttpDeps {
  config: Readonly<Config>;
  logger: Logger;
  catalog: Catalog;
  predictions: PredictionService;
  predictionStore: PredictionStore;
  scheduler: Scheduler;
  runtime: ContainerRuntime;
  version: string;
  files: FileService;
  webhookSecrets: WebhookSecrets;
  tokens: TokenStore;
  targets: TargetPolicy;
  /** --rate-limit: predictions a user token may create per minute */
  predictionLimit: RateLimiter;
  /** pushed versions (/v2/): their import into the engine, and the digest the client printed; absent without a registry */
  pushedVersions?: PushedVersions;
  /** disk used by the registry (/v2/), shown by /health; absent without a registry */
  registryDisk?: () => { blobs: number; blob_bytes: number; upload_bytes: number; uploads_in_progress: number };
  /** --max-body-size in bytes: the one limit on JSON bodies, declared (Content-Length) or read */
  maxJsonBytes: number;
  metrics: ModelhubMetrics;
  /** pull, save and load of whole images (the /v1/images routes); absent in tests that do not need them */
  images?: ImageServices;
  /** the nodes instances run on (/v1/nodes); absent in tests that do not need them */
  nodes?: NodeService;
}

export interface PushedVersions {
  /** null for versions that did not come from a push */
  importState(versionId: string): { status: "importing" | "ready" | "failed"; progress: string | null; error: string | null } | null;
  /** the version a pushed digest (64 hex; an index, or the manifest itself) became */
  byPushedDigest(hex: string): string | null;
}
