// The whole app over an in-memory SQLite database and the fake runtime, wired like server/server.ts
// but with nothing listening: tests drive it with app.handle(new Request(...)).
import { Catalog } from "../../server/catalog/catalog.ts";
import { Deployments } from "../../server/catalog/deployments.ts";
import { Policies } from "../../server/catalog/policy.ts";
import { createApp } from "../../server/app.ts";
import { type Config, loadConfig } from "../../server/config.ts";
import { type Db, openDatabase } from "../../server/db/database.ts";
import { BlobDir } from "../../server/files/blobs.ts";
import { FileService } from "../../server/files/service.ts";
import { FileStore } from "../../server/files/store.ts";
import type { HttpDeps } from "../../server/http/deps.ts";
import { silentLogger } from "../../server/log.ts";
import { PredictionEvents } from "../../server/predictions/events.ts";
import { PredictionService } from "../../server/predictions/service.ts";
import { type PredictionRecord, PredictionStore } from "../../server/predictions/store.ts";
import type { GpuInventory } from "../../server/runtime/gpus.ts";
import { systemClock } from "../../server/scheduler/clock.ts";
import { Scheduler } from "../../server/scheduler/scheduler.ts";
import { WebhookSecrets } from "../../server/webhooks/secret.ts";
import { FakeRuntime } from "./fake-runtime.ts";
import { tempDir } from "./temp-dir.ts";

export const ORIGIN = "http://modelhub.test:5100";

export interface TestApp {
  app: ReturnType<typeof createApp>;
  db: Db;
  deps: HttpDeps;
  runtime: FakeRuntime;
  catalog: Catalog;
  store: PredictionStore;
  policies: Policies;
  config: Readonly<Config>;
  /** app.handle on ORIGIN + path; a JSON body unless `body` is a string */
  req(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  /** stores a finished prediction of `model` directly (no container), e.g. for run counts */
  addPrediction(model: string, versionId: string, over?: Partial<PredictionRecord>): PredictionRecord;
  close(): void;
}

export function gpuInventory(count: number): GpuInventory {
  return {
    source: count ? "fake" : "none",
    gpus: Array.from({ length: count }, (_, index) => ({ index, uuid: `GPU-${index}`, name: "Test GPU", memoryTotalMiB: 24_576, memoryUsedMiB: 0, simulated: true })),
  };
}

let predictionSeq = 0;

export function testApp(opts: { flags?: Record<string, string>; gpus?: number; scheduling?: boolean } = {}): TestApp {
  const config = loadConfig({}, { "public-url": ORIGIN, username: "tester", ...opts.flags });
  const db = openDatabase(":memory:");
  const runtime = new FakeRuntime();
  const inventory = gpuInventory(opts.gpus ?? 0);
  const catalog = new Catalog(db);
  const store = new PredictionStore(db);
  const events = new PredictionEvents();
  const deployments = new Deployments(db, catalog, inventory);
  const policies = new Policies(db, catalog, deployments, { idleTimeoutS: 60, setupTimeoutS: 60, maxQueue: 10, maxInstances: 1 }, inventory);
  const scheduler = new Scheduler({
    runtime,
    clock: systemClock,
    logger: silentLogger,
    shmSizeBytes: 1,
    extraHosts: [],
    labels: {},
    inventory,
    onSetupFailure: (id, message, logs) => catalog.setSetupFailure(id, message, logs),
    healthIntervalMs: 3_600_000,
  });
  const dir = tempDir("modelhub-http-");
  const files = new FileService(new FileStore(db), new BlobDir(dir.path), 1024 * 1024);
  const predictions = new PredictionService({
    catalog,
    scheduler,
    store,
    events,
    clock: systemClock,
    logger: silentLogger,
    policies,
    policy: { idleTimeoutMs: 60_000, setupTimeoutMs: 60_000, maxQueue: 10, predictTimeoutMs: 60_000 },
  });
  const deps: HttpDeps = { config, logger: silentLogger, catalog, predictions, predictionStore: store, scheduler, runtime, version: "test", files, webhookSecrets: new WebhookSecrets(db) };
  const app = createApp(deps, opts.scheduling === false ? undefined : { policies, deployments, inventory });
  return {
    app,
    db,
    deps,
    runtime,
    catalog,
    store,
    policies,
    config,
    req(method, path, body, headers = {}) {
      const init: RequestInit = { method, headers: { ...headers } };
      if (body !== undefined) {
        init.body = typeof body === "string" ? body : JSON.stringify(body);
        if (typeof body !== "string" && !headers["content-type"]) (init.headers as Record<string, string>)["content-type"] = "application/json";
      }
      return app.handle(new Request(ORIGIN + path, init));
    },
    addPrediction(model, versionId, over = {}) {
      const now = new Date().toISOString();
      const rec: PredictionRecord = {
        id: `p${(++predictionSeq).toString().padStart(6, "0")}`,
        model,
        versionId,
        input: {},
        output: "ok",
        logs: "",
        error: null,
        status: "succeeded",
        source: "api",
        createdAt: now,
        startedAt: now,
        completedAt: now,
        metrics: { predict_time: 0.1 },
        webhook: null,
        webhookEventsFilter: null,
        deployment: null,
        deadline: null,
        instanceId: null,
        streamToken: `tok${predictionSeq}`,
        origin: null,
        fileOutput: false,
        ...over,
      };
      store.insert(rec);
      return rec;
    },
    close() {
      void scheduler.close();
      db.close();
      dir[Symbol.dispose]();
    },
  };
}
