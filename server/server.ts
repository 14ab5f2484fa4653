// startServer(config): the composition root. Opens the database, builds the runtime and the services
// (services.ts), mounts the app, listens, reconciles work left from a previous run, and shuts down cleanly.
import { join, resolve } from "node:path";
import { createApp } from "./app.ts";
import { withUi } from "./http/ui.ts";
import type { Config } from "./config.ts";
import { lockDataFolder } from "./db/data-lock.ts";
import { openDatabase } from "./db/database.ts";
import { openCallbackListener } from "./http/internal.ts";
import { presentPrediction } from "./http/present.ts";
import { createLogger, type Logger } from "./log.ts";
import type { PredictionEvents } from "./predictions/events.ts";
import { Retention } from "./predictions/retention.ts";
import { CallbackStore } from "./predictions/callback-store.ts";
import type { PredictionRecord, PredictionStore } from "./predictions/store.ts";
import { bridgeGateway } from "./runtime/bridge-gateway.ts";
import { DockerRuntime } from "./runtime/docker.ts";
import { discoverGpus, parseGpusFlag } from "./runtime/gpus.ts";
import { OWNER_LABEL, POOL_LABEL, VERSION_LABEL } from "./runtime/runtime.ts";
import { systemClock } from "./scheduler/clock.ts";
import type { Lease, RunSpec, Scheduler } from "./scheduler/scheduler.ts";
import { buildServices } from "./services.ts";
import { WebhookDispatcher } from "./webhooks/dispatcher.ts";

export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** prediction events, for in-process tests and benchmarks */
  events: PredictionEvents;
}

export async function startServer(config: Readonly<Config>, opts: { logger?: Logger; version?: string } = {}): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger(config.logLevel, undefined, config.logFormat === "json" ? "json" : "text");
  const dataDir = resolve(config.dataDir);
  // Before anything else touches the folder or a container: one server per data folder.
  const lock = lockDataFolder(dataDir);
  const db = openDatabase(join(dataDir, "modelhub.db"));
  const runtime = new DockerRuntime(config.dockerHost);
  const gpus = await discoverGpus(parseGpusFlag(config.gpus));
  logger.info("gpu inventory", { source: gpus.source, count: gpus.gpus.length, note: gpus.note });

  // Containers are labelled with a hash of the data folder: this server's, no one else's.
  const owner = new Bun.CryptoHasher("sha256").update(dataDir).digest("hex").slice(0, 16);
  const { store, events, policies, flushStats, scheduler, files, callbacks, origins, defaultOrigin, predictions, webhookSecrets, http, scheduling, metrics } =
    buildServices({
      config,
      db,
      runtime,
      inventory: gpus,
      clock: systemClock,
      logger,
      filesDir: join(dataDir, "files"),
      version: opts.version ?? "dev",
      labels: { [OWNER_LABEL]: owner },
    });
  const statsTimer = setInterval(flushStats, 2_000);
  statsTimer.unref();
  // Before any container starts: their command carries the listener's port. The same port as last
  // time, when free: containers that outlived the previous run still post their answers to it.
  const callbackStore = new CallbackStore(db);
  const previousPort = callbackStore.listenerPort();
  const callbackListener = await openCallbackListener(
    { predictions, files, logger, maxWebhookBytes: 2 * config.maxLogSize + 64 * 1024 * 1024 },
    config.callbackHost,
    () => bridgeGateway(config.dockerHost),
    previousPort,
  );
  if (callbackListener) {
    callbacks.base = `http://host.docker.internal:${callbackListener.port}`;
    callbackStore.setListenerPort(callbackListener.port);
    logger.info("listening for container callbacks", { address: `${callbackListener.hostname}:${callbackListener.port}` });
  }
  const webhooks = new WebhookDispatcher({
    secret: () => webhookSecrets.defaultSecret(),
    present: (p) => presentPrediction(p, p.origin || defaultOrigin()),
    logger,
    userAgent: `modelhub/${opts.version ?? "dev"}`,
    onDelivery: (ok) => metrics.webhookDelivered(ok),
  });
  webhooks.attach(events);
  // Finished predictions older than --retention-days go, with their output files.
  const retention = new Retention({ db, logger, days: config.retentionDays, deleteFiles: (id) => void files.deleteForPrediction(id) });

  // Async predictions a previous run left in flight can be taken back when their containers still
  // run them and can still reach this listener (same port); the rest fail with a reason.
  const unfinished = store.unfinished();
  const recoverable = callbackListener && callbackListener.port === previousPort ? callbacks.persistedWebhooks() : new Map<string, string>();
  const heldBy = new Map<string, string[]>();
  for (const p of unfinished)
    if (p.status === "processing" && p.instanceId && recoverable.has(p.id)) heldBy.set(p.instanceId, [...(heldBy.get(p.instanceId) ?? []), p.id]);
  const leases = await adoptLeftovers(
    scheduler,
    runtime,
    owner,
    (pool, versionId) => {
      const spec = policies.specForPool(pool, versionId);
      return spec && predictions.withContainerCmd(spec);
    },
    (instanceId) => heldBy.get(instanceId) ?? [],
    logger,
  );
  const reattached = new Set<string>();
  for (const p of unfinished) {
    const lease = leases.get(p.id);
    if (!lease) continue;
    predictions.reattach(p, recoverable.get(p.id)!, lease);
    reattached.add(p.id);
  }
  if (reattached.size) logger.info("re-attached predictions left running by a previous run", { count: reattached.size });
  // Async predictions whose container may still run but cannot reach this listener: its port was taken.
  const lostPort = !!previousPort && callbackListener?.port !== previousPort ? new Set(callbacks.persistedWebhooks().keys()) : new Set<string>();
  reconcile(store, unfinished.filter((p) => !reattached.has(p.id)), lostPort, logger);
  for (const [id, token] of callbacks.persistedWebhooks()) if (!reattached.has(id)) callbacks.dropWebhook(token);
  void scheduler.watchEvents();
  retention.start();

  const app = createApp(http, scheduling);
  // Everything started above, stopped in order; used at shutdown and when the port cannot be had.
  const closeServices = async () => {
    webhooks.close();
    await retention.stop();
    await scheduler.close();
    await callbackListener?.stop();
    predictions.close();
    clearInterval(statsTimer);
    flushStats();
    db.close();
    lock.release();
  };
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      hostname: config.host,
      port: config.port,
      idleTimeout: 0,
      development: false,
      // A second modelhub on the same port must fail loudly, not share it with the first.
      reusePort: false,
      // Bun's own cap (128 MB) would answer larger uploads with a bare 413 before our clear one.
      maxRequestBodySize: Math.max(128 * 1024 ** 2, files.maxBytes + 2 * 1024 ** 2, config.maxBodySize + 1024 ** 2),
      fetch: withUi(app.fetch), // the web UI's page and assets; everything else goes to the Elysia app
    });
  } catch (err) {
    await closeServices();
    throw new Error(`cannot listen on ${config.host}:${config.port} (${(err as Error).message}); is another modelhub running there? Choose another with --port`);
  }
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${server.port}`;
  logger.info("modelhub listening", { url, dataDir });
  lock.setUrl(url);
  origins.push(url, ...(["127.0.0.1", "0.0.0.0", "localhost"].includes(config.host) ? [`http://127.0.0.1:${server.port}`, `http://localhost:${server.port}`] : []));

  // Keep-warm pools (min_instances) start now, after the listener, so a slow boot does not delay the API.
  scheduler.setWarm(policies.warmSpecs().map((spec) => predictions.withContainerCmd(spec)));
  runtime.ping().catch((err: Error) => logger.warn("Docker engine not reachable; predictions will answer 503 until it is", { error: err.message }));

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info("shutting down");
      await server.stop(true);
      await closeServices();
    })());
  return { url, port: server.port!, stop, events };
}

/**
 * Predictions a previous run (a crash or kill -9) left unfinished that could not be re-attached: a
 * sync prediction's answer died with that process, and an async one's container is gone (or can no
 * longer reach the callback listener). Each fails with a reason, so nothing stays "starting" or
 * "processing" forever.
 */
function reconcile(store: PredictionStore, unfinished: readonly PredictionRecord[], lostPort: ReadonlySet<string>, logger: Logger): void {
  const now = new Date().toISOString();
  for (const p of unfinished)
    store.update(p.id, {
      status: "failed",
      error:
        p.status !== "processing"
          ? "modelhub stopped before this prediction started; run it again"
          : lostPort.has(p.id)
            ? "modelhub stopped while this prediction was running, and could not listen again on the port its container sends the answer to (it was taken); run it again"
            : "modelhub stopped while this prediction was running, and the model's answer went with it; run it again",
      completedAt: now,
    });
  if (unfinished.length) logger.warn("failed predictions left unfinished by a previous run", { count: unfinished.length });
}

/**
 * This server's containers from a previous run (by owner label): healthy idle ones are adopted, and
 * busy ones still running a prediction that `held` names; the rest are removed. Returns the leases
 * the adopted busy containers hold, by prediction id.
 */
async function adoptLeftovers(
  scheduler: Scheduler,
  runtime: DockerRuntime,
  owner: string,
  specFor: (pool: string, versionId: string) => RunSpec | null,
  held: (instanceId: string) => readonly string[],
  logger: Logger,
): Promise<Map<string, Lease>> {
  try {
    const leftovers = await runtime.list({ [OWNER_LABEL]: owner });
    if (!leftovers.length) return new Map();
    const r = await scheduler.adopt(
      leftovers,
      (labels) => (labels[POOL_LABEL] && labels[VERSION_LABEL] ? specFor(labels[POOL_LABEL], labels[VERSION_LABEL]) : null),
      held,
    );
    logger.info("containers left by a previous run", { adopted: r.adopted, removed: r.removed, busy: r.leases.length });
    return new Map(r.leases.map((l) => [l.predictionId, l.lease]));
  } catch (err) {
    logger.warn("could not look for leftover containers", { error: (err as Error).message });
    return new Map();
  }
}
