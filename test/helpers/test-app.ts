// The whole app over an in-memory SQLite database and the fake runtime, wired by server/services.ts
// exactly as the server is, but with nothing listening: tests drive it with app.handle(new Request(...)).
import type { Catalog } from "../../server/catalog/catalog.ts";
import type { Policies } from "../../server/catalog/policy.ts";
import { createApp } from "../../server/app.ts";
import { type Config, loadConfig } from "../../server/config.ts";
import { type Db, openDatabase } from "../../server/db/database.ts";
import type { HttpDeps } from "../../server/http/http-context.ts";
import { silentLogger } from "../../server/log.ts";
import type { PredictionRecord, PredictionStore } from "../../server/predictions/store.ts";
import type { GpuInventory } from "../../server/runtime/gpus.ts";
import { systemClock } from "../../server/scheduler/clock.ts";
import { buildServices } from "../../server/services.ts";
import { FakeRuntime } from "./fake-runtime.ts";
import { tempDir } from "./temp-dir.ts";
import { join } from "node:path";
import type { RegistryAccessPolicy } from "../../server/registry/access.ts";
import type { Registry } from "../../server/registry/registry.ts";

export const ORIGIN = "http://modelhub.test:5100";

export interface TestApp {
  app: ReturnType<typeof createApp>;
  db: Db;
  deps: HttpDeps;
  runtime: FakeRuntime;
  catalog: Catalog;
  /** the distribution API's services (blobs, store, imports) */
  registry: Registry;
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

export function testApp(opts: { flags?: Record<string, string>; gpus?: number; scheduling?: boolean; registryPolicy?: RegistryAccessPolicy } = {}): TestApp {
  // Short timeouts and a short queue for tests (a flag of the test's own still wins).
  const config = loadConfig({}, {
    "public-url": ORIGIN,
    username: "tester",
    "idle-timeout": "60",
    "setup-timeout": "60",
    "max-queue": "10",
    "predict-timeout": "60",
    // Tests of other features run as the local admin; the access tests turn auth on.
    auth: "off",
    ...opts.flags,
  });
  const db = openDatabase(":memory:");
  // Containers here never run a model: unpublished, their start fails at once.
  const runtime = new FakeRuntime({ publish: false });
  const inventory = gpuInventory(opts.gpus ?? 0);
  const dir = tempDir("modelhub-http-");
  const { catalog, store, policies, scheduler, http: deps, scheduling, registry } = buildServices({
    config,
    db,
    runtime,
    inventory,
    clock: systemClock,
    logger: silentLogger,
    filesDir: dir.path,
    registryDir: join(dir.path, "registry"),
    registryPolicy: opts.registryPolicy,
    version: "test",
    healthIntervalMs: 3_600_000,
  });
  const app = createApp(deps, opts.scheduling === false ? undefined : scheduling, registry ? { registry: registry.service, access: registry.access, logger: silentLogger, publicUrl: config.publicUrl } : undefined);
  return {
    app,
    db,
    deps,
    runtime,
    catalog,
    registry: registry!,
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
