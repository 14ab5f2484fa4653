// modelhub's prediction core without Docker: the services wired by server/services.ts over a SQLite
// file, the FakeRuntime running the Cog-protocol fixture server as plain processes, and the
// callback listener on 127.0.0.1 (where those processes reach modelhub). `restart()` builds a
// second set of services over the same database while the first one's containers keep running,
// as after a kill -9 of modelhub.
import { join } from "node:path";
import { importImage } from "../../server/catalog/import-image.ts";
import type { Version } from "../../server/catalog/catalog.ts";
import { loadConfig } from "../../server/config.ts";
import { type Db, openDatabase } from "../../server/db/database.ts";
import { type CallbackListener, containerWebhookLimit, startCallbackListener } from "../../server/http/internal.ts";
import { silentLogger } from "../../server/log.ts";
import { CallbackStore } from "../../server/predictions/callback-store.ts";
import type { PredictionEvent } from "../../server/predictions/events.ts";
import { reconcileLeftovers } from "../../server/predictions/reconcile.ts";
import type { CreatePrediction } from "../../server/predictions/service.ts";
import type { PredictionRecord } from "../../server/predictions/store.ts";
import { OWNER_LABEL } from "../../server/runtime/runtime.ts";
import { systemClock } from "../../server/scheduler/clock.ts";
import { buildServices, type Services } from "../../server/services.ts";
import { cogletLabels } from "../fixtures/cog-server/coglet/labels.ts";
import { cogLabels } from "../fixtures/cog-server/labels.ts";
import { modelByName } from "../fixtures/cog-server/models/index.ts";
import { FakeRuntime, FIXTURE_MODEL_LABEL } from "./fake-runtime.ts";
import { tempDir } from "./temp-dir.ts";

const OWNER = "process-hub";
export const ORIGIN = "http://modelhub.test:5100";

export interface HubRun {
  services: Services;
  db: Db;
  listener: CallbackListener;
}

export interface HubOptions {
  /** overrides the callback listener's webhook limit */
  maxWebhookBytes?: number;
  /** the data folder (database and files); a fresh temporary one by default */
  dataDir?: string;
}

export class ProcessHub {
  readonly runtime = new FakeRuntime({ processes: true, env: { COG_FIXTURE_SETUP_MS: "20" } });
  private dir: { path: string; [Symbol.dispose](): void };
  private runs: HubRun[] = [];

  private constructor(
    private flags: Record<string, string>,
    private opts: HubOptions,
  ) {
    // A data folder given by the test (a small tmpfs) is the test's to clean up.
    this.dir = opts.dataDir ? { path: opts.dataDir, [Symbol.dispose]: () => {} } : tempDir("modelhub-core-");
  }

  /** A modelhub whose containers are fixture processes; `flags` are command-line settings (see HubOptions). */
  static async start(flags: Record<string, string> = {}, opts: HubOptions = {}): Promise<ProcessHub> {
    const hub = new ProcessHub(flags, opts);
    await hub.boot(null);
    return hub;
  }

  get current(): HubRun {
    return this.runs.at(-1)!;
  }
  get services(): Services {
    return this.current.services;
  }

  /** Registers the fixture model `model` as image `acme/<model>:latest` and imports it. */
  async addModel(model: string): Promise<Version> {
    const ref = `acme/${model}:latest`;
    this.runtime.addImage(ref, { ...cogLabels(modelByName(model)), [FIXTURE_MODEL_LABEL]: model });
    return (await importImage(this.runtime, this.services.catalog, ref)).version;
  }

  /**
   * Registers fixture model `model` as a Cog 0.22 build (coglet server, static-generator labels) under
   * `acme/coglet-<name>:latest`, with the image ENV `env` (fixture knobs), and imports it.
   */
  async addCogletModel(model: string, opts: { name?: string; concurrency?: number; env?: Record<string, string> } = {}): Promise<Version> {
    const ref = `acme/coglet-${opts.name ?? model}:latest`;
    const info = this.runtime.addImage(ref, { ...cogletLabels(modelByName(model), { concurrency: opts.concurrency }), [FIXTURE_MODEL_LABEL]: model });
    const env = { COG_FIXTURE_RUNTIME: "coglet", ...(opts.concurrency ? { COG_MAX_CONCURRENCY: String(opts.concurrency) } : {}), ...opts.env };
    info.env = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    return (await importImage(this.runtime, this.services.catalog, ref)).version;
  }

  create(req: Omit<CreatePrediction, "origin">): PredictionRecord {
    return this.services.predictions.create({ origin: ORIGIN, ...req });
  }

  /** Every event of prediction `id` from now on, as `kind:status`. */
  trace(id: string): string[] {
    const seen: string[] = [];
    this.services.events.subscribe(id, (e: PredictionEvent) => seen.push(`${e.kind}:${e.prediction.status}`));
    return seen;
  }

  /** Resolves once the prediction is terminal (fails the test after `ms`). */
  async settled(id: string, ms = 15_000): Promise<PredictionRecord> {
    const p = await this.services.predictions.waitFor(id, ms);
    if (!["succeeded", "failed", "canceled"].includes(p.status)) throw new Error(`prediction ${id} still ${p.status} after ${ms} ms`);
    return p;
  }

  /**
   * modelhub dies (kill -9: nothing is stopped, its containers keep running) and starts again over
   * the same database, listening for callbacks on the same port, then reconciles what was left.
   */
  async restart(): Promise<void> {
    const old = this.current;
    const port = old.listener.port;
    // The old services stay in memory, silent: their listener is gone, and nothing of theirs fires
    // before the test ends (timeouts are long).
    await old.listener.stop();
    await this.boot(port);
  }

  async close(): Promise<void> {
    await this.current.listener.stop();
    // Each run's scheduler stops its containers, which ends what still ran on them; then the writes.
    for (const r of this.runs) await r.services.scheduler.close();
    await this.runtime.killAll();
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    for (const r of this.runs) {
      r.services.predictions.close();
      r.db.close();
    }
    this.dir[Symbol.dispose]();
  }

  private async boot(previousPort: number | null): Promise<void> {
    const config = loadConfig({}, { "public-url": ORIGIN, "idle-timeout": "60", "setup-timeout": "30", "predict-timeout": "120", ...this.flags });
    const db = openDatabase(join(this.dir.path, "modelhub.db"));
    const services = buildServices({
      config,
      db,
      runtime: this.runtime,
      inventory: { source: "none", gpus: [] },
      clock: systemClock,
      logger: silentLogger,
      filesDir: join(this.dir.path, "files"),
      version: "test",
      labels: { [OWNER_LABEL]: OWNER },
    });
    const { predictions, files, callbacks, store, scheduler, policies } = services;
    // Processes reach modelhub on loopback, not through the Docker bridge.
    const listener = startCallbackListener({ predictions, files, logger: silentLogger, maxWebhookBytes: this.opts.maxWebhookBytes ?? containerWebhookLimit(config) }, "127.0.0.1", previousPort);
    callbacks.listening(listener.port, "127.0.0.1");
    new CallbackStore(db).setListenerPort(listener.port);
    this.runs.push({ services, db, listener });
    await reconcileLeftovers(
      { store, callbacks, scheduler, runtime: this.runtime, predictions, specForPool: (pool, v) => policies.specForPool(pool, v), logger: silentLogger, owner: OWNER },
      listener.port,
      previousPort,
    );
    void scheduler.watchEvents();
  }
}
