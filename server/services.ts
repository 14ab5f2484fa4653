// buildServices(...): the services the server runs on, wired in one place so the test app runs on
// exactly the same wiring: catalog, predictions store and events, deployments, policies, per-version
// stats, the scheduler, files, the prediction service, and the HttpDeps the app takes. What differs
// between the server and tests (runtime, database, GPUs, logger, files folder, labels) is a parameter;
// listening, the callback listener, reconcile, adoption, timers and shutdown stay in server.ts.
import { TokenStore } from "./auth/tokens.ts";
import { Catalog, type Version } from "./catalog/catalog.ts";
import { Deployments } from "./catalog/deployments.ts";
import { Policies } from "./catalog/policy.ts";
import { PolicyChanges } from "./catalog/policy-changes.ts";
import { VersionStatsStore } from "./catalog/version-stats.ts";
import type { CogRuntimeLine } from "./cog/cog-container.ts";
import { DetectingCogServer } from "./cog/detected-line.ts";
import type { Config } from "./config.ts";
import type { Db } from "./db/database.ts";
import { BlobDir } from "./files/blobs.ts";
import { PredictionFileBridge } from "./files/prediction-files.ts";
import { FileService } from "./files/service.ts";
import { FileStore } from "./files/store.ts";
import type { HttpDeps } from "./http/http-context.ts";
import type { SchedulingDeps } from "./http/scheduling-context.ts";
import type { Logger } from "./log.ts";
import { CallbackStore } from "./predictions/callback-store.ts";
import { CallbackRegistry } from "./predictions/callbacks.ts";
import { PredictionEvents } from "./predictions/events.ts";
import { PredictionService } from "./predictions/service.ts";
import { PredictionStore } from "./predictions/store.ts";
import { ModelhubMetrics } from "./metrics/modelhub-metrics.ts";
import { ImageLoads } from "./runtime/image-loads.ts";
import { DockerImageTransfer, type ImageTransfer } from "./runtime/image-transfer.ts";
import { type GpuInventory, sampleGpuMemory } from "./runtime/gpus.ts";
import { type ContainerRuntime, POOL_LABEL, VERSION_LABEL } from "./runtime/runtime.ts";
import type { Clock } from "./scheduler/clock.ts";
import { Scheduler } from "./scheduler/scheduler.ts";
import type { RegistryAccessPolicy } from "./registry/access.ts";
import { importAwareRuntime } from "./registry/engine-import.ts";
import { openRegistry, type Registry } from "./registry/registry.ts";
import { tokenRegistryPolicy } from "./registry/token-policy.ts";
import { StatsBook, type VersionStats } from "./scheduler/stats.ts";
import { NodeService } from "./nodes/node-service.ts";
import { NodeStore } from "./nodes/node-store.ts";
import { DockerNode } from "./runtime/docker-node.ts";
import type { NodeRelay } from "./runtime/node-relay.ts";
import { LOCAL_NODE } from "./runtime/runtime-node.ts";
import { WebhookSecrets } from "./webhooks/secret.ts";
import { TargetPolicy } from "./webhooks/target-policy.ts";
import { RateLimiter } from "./http/rate-limit.ts";

export interface ServiceOptions {
  config: Readonly<Config>;
  db: Db;
  runtime: ContainerRuntime;
  inventory: GpuInventory;
  clock: Clock;
  logger: Logger;
  /** where stored files' bytes go */
  filesDir: string;
  /** modelhub's version, for HttpDeps */
  version: string;
  /** labels put on every container (the server's owner label) */
  labels?: Record<string, string>;
  /** health check interval for running instances (the scheduler's default when absent) */
  healthIntervalMs?: number;
  /** where the registry (/v2/) keeps blobs; no registry without it */
  registryDir?: string;
  /** who may push and pull; the default is anonymous on loopback and nobody elsewhere */
  registryPolicy?: RegistryAccessPolicy;
  /** pull/save/load of whole images (default: the Docker engine at config.dockerHost) */
  images?: ImageTransfer;
  /** how containers are spoken to (default: Cog's Python server) */
  cog?: CogRuntimeLine;
  /** keeps model containers on other machines private (see docs/scaling.md); without it only nodes on this machine's sockets take work */
  relay?: NodeRelay;
}

export interface Services {
  catalog: Catalog;
  store: PredictionStore;
  events: PredictionEvents;
  deployments: Deployments;
  policies: Policies;
  stats: StatsBook;
  /** writes the stats measured since the last flush (the caller decides when) */
  flushStats(): void;
  scheduler: Scheduler;
  files: FileService;
  callbacks: CallbackRegistry;
  /** URLs recognised as modelhub's own in prediction inputs; the caller adds the API's once it listens */
  origins: string[];
  defaultOrigin(): string;
  predictions: PredictionService;
  webhookSecrets: WebhookSecrets;
  tokens: TokenStore;
  /** where webhooks and URL inputs may point; the caller adds its listeners once they are open */
  targets: TargetPolicy;
  /** the distribution API's services (null when no registryDir was given) */
  registry: Registry | null;
  http: HttpDeps;
  scheduling: SchedulingDeps;
  metrics: ModelhubMetrics;
  /** the nodes instances run on ("local" and those added with modelhub nodes add) */
  nodes: NodeService;
}

export function buildServices(o: ServiceOptions): Services {
  const { config, db, runtime, inventory, clock, logger } = o;
  const catalog = new Catalog(db);
  const store = new PredictionStore(db);
  const events = new PredictionEvents();
  const deployments = new Deployments(db, catalog, inventory);
  // How containers are spoken to (Cog's Python server), and the tokens of their callbacks: together
  // they make the container command every RunSpec carries (--upload-url at the callback listener).
  // Each container is spoken to as the server its health says it runs (coglet or the Python server);
  // coglet's log stream (for what a failed sync prediction printed) and its "worker died" come
  // through the scheduler, which knows each container by its address.
  const cog =
    o.cog ??
    new DetectingCogServer({}, {
      containerLogs: async (baseUrl) => {
        const inst = scheduler.list().find((i) => i.baseUrl === baseUrl);
        return inst?.containerId ? runtime.logs(inst.containerId, 2000) : "";
      },
      onBroken: (baseUrl, reason) => scheduler.reportBroken(baseUrl, reason),
    });
  const callbacks = new CallbackRegistry(new CallbackStore(db));
  const containerCommand = (v: Version) => {
    const upload = callbacks.reachable && (cog.wantsUploadUrl?.(v.cogVersion) ?? cog.supportsAsync(v.cogVersion)) ? callbacks.uploadUrl(v.id) : null;
    return upload ? cog.command({ uploadUrl: upload }) : undefined;
  };
  const policies = new Policies(db, catalog, deployments, {
    idleTimeoutS: config.idleTimeout,
    setupTimeoutS: config.setupTimeout,
    maxQueue: config.maxQueue,
    maxInstances: config.maxInstances,
    memoryBytes: config.containerMemory,
    cpus: config.containerCpus,
    pids: config.containerPids,
  }, inventory, containerCommand);
  const statsStore = new VersionStatsStore(db);
  // Stats change on every prediction: writing them behind (every 2 s and at shutdown) keeps a SQLite
  // write off the prediction's hot path. A crash loses at most 2 s of measurements (estimates).
  const dirtyStats = new Map<string, VersionStats>();
  const flushStats = () => {
    if (!dirtyStats.size) return;
    try {
      db.transaction(() => {
        for (const s of dirtyStats.values()) statsStore.save(s);
      })();
    } catch (err) {
      logger.warn("could not save version stats", { error: (err as Error).message });
    }
    dirtyStats.clear();
  };
  const stats = new StatsBook(
    (s) => dirtyStats.set(s.versionId, s),
    // `metrics` is made below, with the scheduler it reads; no boot is measured before then.
    (versionId, ms) => metrics.bootObserved(catalog.findVersion(versionId)?.model ?? versionId, ms),
  );
  stats.seed(statsStore.load());
  const tokens = new TokenStore(db);
  // `docker login` takes a modelhub token; with --auth off (loopback only) the registry is open too.
  const registryPolicy = o.registryPolicy ?? tokenRegistryPolicy({ required: config.auth === "on", verify: (s) => tokens.verify(s), catalog });
  const registry = o.registryDir ? openRegistry({ db, catalog, dir: o.registryDir, logger, policy: registryPolicy, importMode: config.registryImport === "load" ? "load" : "pull", uploadIdleMs: config.requestTimeout * 1000 }) : null;
  // A pushed version's container waits for the engine to finish pulling its image.
  const localRuntime = registry ? importAwareRuntime(runtime, registry.imports) : runtime;
  const imageTransfer = o.images ?? new DockerImageTransfer(config.dockerHost);
  const nodes = new NodeService({
    store: new NodeStore(db),
    logger,
    local: new DockerNode(LOCAL_NODE, localRuntime),
    localInventory: inventory,
    localImages: imageTransfer,
    ownerLabels: o.labels ?? {},
    lane: { network: config.containerNetwork, memoryBytes: config.containerMemory, cpus: config.containerCpus, pids: config.containerPids },
    checkIntervalMs: config.nodeCheckInterval * 1000,
    probeImage: config.nodeProbeImage,
    relay: o.relay,
    registry,
    registryUrl: config.nodeRegistryUrl,
  });
  const scheduler = new Scheduler({
    runtime: localRuntime,
    nodes,
    clock,
    logger,
    shmSizeBytes: config.shmSize,
    extraHosts: ["host.docker.internal:host-gateway"],
    labels: o.labels ?? {},
    inventory,
    stats,
    gpuMemory: inventory.source === "nvidia-smi" ? () => sampleGpuMemory() : undefined,
    onSetupFailure: (versionId, message, logs) => catalog.setSetupFailure(versionId, message, logs),
    probe: (baseUrl, timeoutMs) => cog.open(baseUrl).health(timeoutMs),
    healthIntervalMs: o.healthIntervalMs,
  });
  const metrics = new ModelhubMetrics({
    events,
    instances: () => scheduler.list(),
    queues: () => scheduler.queues(),
    // Simulated GPUs have no real memory figures: nothing is shown rather than a made-up number.
    gpus: () => (inventory.source === "nvidia-smi" ? inventory.gpus : []),
  });
  // Files, container callbacks (webhooks, uploads) and user webhooks. `origins` is filled once the
  // API listens: URLs on it are recognised as modelhub's own in prediction inputs.
  const files = new FileService(new FileStore(db), new BlobDir(o.filesDir), config.maxFileSize);
  const origins: string[] = config.publicUrl ? [config.publicUrl] : [];
  const defaultOrigin = () => config.publicUrl || origins[0] || "";
  const predictions = new PredictionService({
    catalog,
    scheduler,
    store,
    events,
    clock,
    logger,
    policies,
    policy: {
      idleTimeoutMs: config.idleTimeout < 0 ? -1 : config.idleTimeout * 1000,
      setupTimeoutMs: config.setupTimeout * 1000,
      maxQueue: config.maxQueue,
      predictTimeoutMs: config.predictTimeout * 1000,
      maxLogChars: config.maxLogSize,
    },
    files: new PredictionFileBridge(files, {
      ownOrigins: () => origins,
      callbackBase: () => callbacks.base,
      inlineMaxBytes: config.inlineInputSize,
    }),
    callbacks,
    defaultOrigin,
    cog,
  });
  const webhookSecrets = new WebhookSecrets(db);
  const targets = new TargetPolicy(config.webhookAllow);
  targets.addOwnOrigin(config.publicUrl);
  const images = { transfer: imageTransfer, loads: new ImageLoads(imageTransfer) };
  nodes.start({
    nodeLost: (name, reason) => void scheduler.nodeLost(name, reason),
    adoptOn: (name, listed) =>
      scheduler.adoptOn(name, listed, (labels) =>
        labels[POOL_LABEL] && labels[VERSION_LABEL] ? policies.specForPool(labels[POOL_LABEL], labels[VERSION_LABEL]) : null,
      ),
    watchNode: (name, onLost) => scheduler.watchNode(name, onLost),
    unwatchNode: (name) => scheduler.unwatchNode(name),
    nodesChanged: () => scheduler.nodesChanged(),
    instancesOn: (name) => scheduler.instancesOn(name),
    stopOn: (name, reason) => scheduler.stopOn(name, reason),
  });
  const http: HttpDeps = {
    images,
    config,
    logger,
    catalog,
    predictions,
    predictionStore: store,
    scheduler,
    runtime,
    version: o.version,
    files,
    webhookSecrets,
    tokens,
    targets,
    predictionLimit: new RateLimiter(config.rateLimit, () => clock.now()),
    registryDisk: registry ? () => registry.diskUsage() : undefined,
    pushedVersions: registry?.service,
    maxJsonBytes: config.maxBodySize,
    metrics,
    nodes,
  };
  return {
    catalog,
    store,
    events,
    deployments,
    policies,
    stats,
    flushStats,
    scheduler,
    files,
    callbacks,
    origins,
    defaultOrigin,
    predictions,
    webhookSecrets,
    tokens,
    targets,
    registry,
    http,
    scheduling: { policies, deployments, inventory, changes: new PolicyChanges(catalog, policies, scheduler) },
    metrics,
    nodes,
  };
}
