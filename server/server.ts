// startServer(config): the composition root. Opens the database, builds the runtime, scheduler and
// services, mounts the app, listens, reconciles work left from a previous run, and shuts down cleanly.
import { join, resolve } from "node:path";
import { createApp } from "./app.ts";
import { Catalog } from "./catalog/catalog.ts";
import type { Config } from "./config.ts";
import { openDatabase } from "./db/database.ts";
import { createLogger, type Logger } from "./log.ts";
import { PredictionEvents } from "./predictions/events.ts";
import { PredictionService } from "./predictions/service.ts";
import { PredictionStore } from "./predictions/store.ts";
import { DockerRuntime, parseByteSize } from "./runtime/docker.ts";
import { discoverGpus, parseGpusFlag, type GpuInventory } from "./runtime/gpus.ts";
import { GpuUnavailableError, OWNER_LABEL, type GpuRequest } from "./runtime/runtime.ts";
import { systemClock } from "./scheduler/clock.ts";
import { type RunSpec, Scheduler } from "./scheduler/scheduler.ts";

export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** GPU request for a spec, given what this machine has. Placement on specific devices comes with the scheduler's placement step. */
export function gpuRequestFor(spec: RunSpec, inv: GpuInventory): GpuRequest {
  if (spec.gpuCount <= 0) return { kind: "none" };
  if (inv.gpus.length < spec.gpuCount)
    throw new GpuUnavailableError(
      `${spec.model} needs ${spec.gpuCount} GPU${spec.gpuCount > 1 ? "s" : ""} but ${inv.gpus.length === 0 ? "none is available" : `this machine has ${inv.gpus.length}`}` +
        `${inv.note ? ` (${inv.note})` : ""}. Run modelhub on a machine with an NVIDIA GPU, or set --gpus.`,
    );
  // A simulated inventory assigns devices on paper only: the container gets no device request.
  if (inv.source === "fake") return { kind: "none" };
  return { kind: "devices", ids: inv.gpus.slice(0, spec.gpuCount).map((g) => String(g.index)) };
}

export async function startServer(config: Readonly<Config>, opts: { logger?: Logger; version?: string } = {}): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const dataDir = resolve(config.dataDir);
  const db = openDatabase(join(dataDir, "modelhub.db"));
  const runtime = new DockerRuntime(config.dockerHost);
  const gpus = await discoverGpus(parseGpusFlag(config.gpus));
  logger.info("gpu inventory", { source: gpus.source, count: gpus.gpus.length, note: gpus.note });

  // Containers are labelled with a hash of the data folder: this server's, no one else's.
  const owner = new Bun.CryptoHasher("sha256").update(dataDir).digest("hex").slice(0, 16);
  const catalog = new Catalog(db);
  const store = new PredictionStore(db);
  const events = new PredictionEvents();
  const scheduler = new Scheduler({
    runtime,
    clock: systemClock,
    logger,
    shmSizeBytes: parseByteSize(config.shmSize),
    extraHosts: ["host.docker.internal:host-gateway"],
    labels: { [OWNER_LABEL]: owner },
    gpuRequest: (spec) => gpuRequestFor(spec, gpus),
    onSetupFailure: (versionId, message, logs) => catalog.setSetupFailure(versionId, message, logs),
  });
  const predictions = new PredictionService({
    catalog,
    scheduler,
    store,
    events,
    clock: systemClock,
    logger,
    policy: {
      idleTimeoutMs: config.idleTimeout < 0 ? -1 : config.idleTimeout * 1000,
      setupTimeoutMs: config.setupTimeout * 1000,
      maxQueue: config.maxQueue,
      predictTimeoutMs: config.predictTimeout * 1000,
    },
  });

  await reconcile(store, runtime, owner, logger);

  const version = opts.version ?? "dev";
  const app = createApp({ config, logger, catalog, predictions, predictionStore: store, scheduler, runtime, version });
  app.listen({ hostname: config.host, port: config.port, idleTimeout: 0 });
  const server = app.server!;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${server.port}`;
  logger.info("modelhub listening", { url, dataDir });

  runtime.ping().catch((err: Error) => logger.warn("Docker engine not reachable; predictions will answer 503 until it is", { error: err.message }));

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info("shutting down");
      await app.stop(true).catch(() => {});
      await scheduler.close();
      db.close();
    })());
  return { url, port: server.port!, stop };
}

/**
 * Work left by a previous run (a crash or kill -9): its containers are removed and its unfinished
 * predictions are failed with a reason, so nothing stays "processing" forever.
 */
async function reconcile(store: PredictionStore, runtime: DockerRuntime, owner: string, logger: Logger): Promise<void> {
  const unfinished = store.unfinished();
  const now = new Date().toISOString();
  for (const p of unfinished)
    store.update(p.id, {
      status: "failed",
      error: "modelhub stopped while this prediction was in progress; run it again",
      completedAt: now,
    });
  if (unfinished.length) logger.warn("failed predictions left unfinished by a previous run", { count: unfinished.length });
  try {
    const leftovers = await runtime.list({ [OWNER_LABEL]: owner });
    for (const c of leftovers) await runtime.remove(c.id);
    if (leftovers.length) logger.info("removed containers left by a previous run", { count: leftovers.length });
  } catch (err) {
    logger.warn("could not look for leftover containers", { error: (err as Error).message });
  }
}
