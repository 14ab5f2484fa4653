// What the HTTP layer is given by the composition root: services and settings, nothing else.
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
  /** --max-body-size in bytes: the one limit on JSON bodies, declared (Content-Length) or read */
  maxJsonBytes: number;
  metrics: ModelhubMetrics;
}
