// startServer(config): the composition root. Opens the database, builds the runtime and the services
// (services.ts), mounts the app, listens, reconciles work left from a previous run, and shuts down cleanly.
import { networkInterfaces } from "node:os";
import { join, resolve } from "node:path";
import { createApp } from "./app.ts";
import { ensureAdminToken } from "./auth/admin-token.ts";
import { isLoopbackHost } from "./http/host-guard.ts";
import { defaultPublicUrl } from "./http/public-origin.ts";
import { withUi } from "./http/ui.ts";
import { BodyBudget } from "./http/transport/body-budget.ts";
import { IdleMemory } from "./http/transport/idle-memory.ts";
import type { Config } from "./config.ts";
import { lockDataFolder } from "./db/data-lock.ts";
import { openDatabase } from "./db/database.ts";
import { containerWebhookLimit, openCallbackListener } from "./http/internal.ts";
import { presentPrediction } from "./http/present.ts";
import { createLogger, type Logger } from "./log.ts";
import type { PredictionEvents } from "./predictions/events.ts";
import { Retention } from "./predictions/retention.ts";
import { CallbackStore } from "./predictions/callback-store.ts";
import { reconcileLeftovers } from "./predictions/reconcile.ts";
import { bridgeGateway } from "./runtime/bridge-gateway.ts";
import { DockerRuntime } from "./runtime/docker.ts";
import { discoverGpus, parseGpusFlag } from "./runtime/gpus.ts";
import { OWNER_LABEL } from "./runtime/runtime.ts";
import { systemClock } from "./scheduler/clock.ts";
import { buildServices } from "./services.ts";
import { RelayPool } from "./nodes/relay/relay-pool.ts";
import { startCallbackListener } from "./http/internal.ts";
import { registryDir } from "./registry/registry.ts";
import type { RegistryAccessPolicy } from "./registry/access.ts";
import { EnginePuller } from "./runtime/image-pull.ts";
import { isBlobUpload } from "./http/v2/registry-routes.ts";
import { WebhookDispatcher } from "./webhooks/dispatcher.ts";

export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** prediction events, for in-process tests and benchmarks */
  events: PredictionEvents;
  /** the admin token this start created (first start with auth on), else null */
  adminToken: string | null;
}

/** The machine's first non-internal IPv4 address (what a wildcard bind is reached at), else loopback. */
function lanAddress(): string {
  return Object.values(networkInterfaces()).flat().find((i) => i && i.family === "IPv4" && !i.internal)?.address ?? "127.0.0.1";
}

/** Safe by default: without tokens, only loopback, unless the owner says otherwise in so many words. */
export function checkExposure(config: Readonly<Config>): void {
  if (config.auth === "off" && !isLoopbackHost(config.host) && !config.allowOpenNetwork)
    throw new Error(
      `refusing to listen on ${config.host} with --auth off: anyone who can reach it could run models, read every prediction and change the catalog. ` +
        "Turn auth on (the default; an admin token is written to <data-dir>/admin-token), or pass --allow-open-network if this network is yours alone.",
    );
}

export async function startServer(
  given: Readonly<Config>,
  opts: {
    logger?: Logger;
    version?: string;
    registryPolicy?: RegistryAccessPolicy;
    /** the process is this server's alone (`modelhub serve`): give memory back when it goes quiet */
    ownsProcess?: boolean;
  } = {},
): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger(given.logLevel, undefined, given.logFormat === "json" ? "json" : "text");
  checkExposure(given);
  if (given.nodeCallbackUrl && !/^http:\/\/[^/]+:\d+\/?$/.test(given.nodeCallbackUrl))
    throw new Error(`--node-callback-url must be http://ADDRESS:PORT (an address of this machine other machines reach), got ${given.nodeCallbackUrl}`);
  // Bound to the network without --public-url, URLs are made on the bound address, never on a Host
  // header nobody checked.
  const config: Readonly<Config> = Object.freeze({ ...given, publicUrl: defaultPublicUrl(given.host, given.port, given.publicUrl, lanAddress) });
  if (!given.publicUrl && config.publicUrl)
    logger.warn(`no --public-url: absolute URLs use ${config.publicUrl}; set --public-url to the address people use (behind a reverse proxy, its https:// URL)`);
  const dataDir = resolve(config.dataDir);
  // Before anything else touches the folder or a container: one server per data folder.
  const lock = lockDataFolder(dataDir);
  const db = openDatabase(join(dataDir, "modelhub.db"));
  const runtime = new DockerRuntime(
    config.dockerHost,
    { network: config.containerNetwork, memoryBytes: config.containerMemory, cpus: config.containerCpus, pids: config.containerPids },
    (message) => logger.warn(message),
  );
  const gpus = await discoverGpus(parseGpusFlag(config.gpus));
  logger.info("gpu inventory", { source: gpus.source, count: gpus.gpus.length, note: gpus.note });

  // Containers are labelled with a hash of the data folder: this server's, no one else's.
  const owner = new Bun.CryptoHasher("sha256").update(dataDir).digest("hex").slice(0, 16);
  // Other machines' model containers are reached through a relay modelhub starts on each node; their
  // callbacks come back through it to --node-callback-url, known once the callback listener is open.
  let nodeCallback: { url: string; port: number } | undefined;
  const relay = new RelayPool({ dataDir, callback: () => nodeCallback });
  const { store, events, policies, flushStats, scheduler, files, callbacks, origins, defaultOrigin, predictions, webhookSecrets, tokens, targets, registry, http, scheduling, metrics, nodes } =
    buildServices({
      config,
      db,
      runtime,
      inventory: gpus,
      clock: systemClock,
      logger,
      filesDir: join(dataDir, "files"),
      registryDir: registryDir(dataDir),
      registryPolicy: opts.registryPolicy,
      version: opts.version ?? "dev",
      labels: { [OWNER_LABEL]: owner },
      relay,
    });
  const first = config.auth === "on" ? ensureAdminToken(dataDir, tokens) : null;
  if (first)
    logger.warn(`created the first admin token: ${first.token} (saved in ${first.path}, mode 0600; it is not shown again). Send it as Authorization: Bearer <token>; make user tokens with modelhub tokens create`);
  if (config.auth === "off") logger.warn("auth is off: anyone who can reach this address can use every API route (--auth on to require tokens)");
  const statsTimer = setInterval(flushStats, 2_000);
  statsTimer.unref();
  // Files a container uploaded that no prediction claimed within an hour go (output ingestion links
  // a prediction's files within seconds of its end).
  const sweep = () => {
    const n = files.sweepUnlinkedOutputs(60 * 60_000);
    if (n) logger.info("deleted uploaded files no prediction claimed", { count: n });
  };
  const sweepTimer = setInterval(sweep, 10 * 60_000);
  sweepTimer.unref();
  // Before any container starts: their command carries the listener's port. The same port as last
  // time, when free: containers that outlived the previous run still post their answers to it.
  const callbackStore = new CallbackStore(db);
  const previousPort = callbackStore.listenerPort();
  const callbackListener = await openCallbackListener(
    { predictions, files, logger, maxWebhookBytes: containerWebhookLimit(config) },
    config.callbackHost,
    () => bridgeGateway(config.dockerHost),
    previousPort,
  );
  if (callbackListener) {
    targets.addOwnListener(callbackListener.hostname, callbackListener.port);
    callbacks.listening(callbackListener.port);
    callbackStore.setListenerPort(callbackListener.port);
    logger.info("listening for container callbacks", { address: `${callbackListener.hostname}:${callbackListener.port}` });
  }
  // The same callback routes on the address other machines' relays reach; they forward containers'
  // calls there, which still name the callback listener's port (the relay listens on it over there).
  let nodeListener: Awaited<ReturnType<typeof startCallbackListener>> | null = null;
  if (callbackListener && config.nodeCallbackUrl) {
    const u = new URL(config.nodeCallbackUrl);
    nodeListener = startCallbackListener({ predictions, files, logger, maxWebhookBytes: containerWebhookLimit(config) }, u.hostname.replace(/^\[|\]$/g, ""), Number(u.port) || null);
    nodeCallback = { url: `${u.protocol}//${u.host.replace(/:\d+$/, "")}:${nodeListener.port}`, port: callbackListener.port };
    targets.addOwnListener(nodeListener.hostname, nodeListener.port);
    logger.info("listening for callbacks of containers on other machines", { url: nodeCallback.url });
  }
  const webhooks = new WebhookDispatcher({
    secret: () => webhookSecrets.defaultSecret(),
    present: (p) => presentPrediction(p, p.origin || defaultOrigin()),
    logger,
    userAgent: `modelhub/${opts.version ?? "dev"}`,
    refusal: (url) => targets.refusal(url),
    onDelivery: (ok) => metrics.webhookDelivered(ok),
  });
  webhooks.attach(events);
  // Finished predictions older than --retention-days go, with their output files.
  const retention = new Retention({ db, logger, days: config.retentionDays, deleteFiles: (id) => void files.deleteForPrediction(id) });

  // What a previous run left: containers adopted or removed, async predictions re-attached, the rest failed.
  await reconcileLeftovers(
    { store, callbacks, scheduler, runtime, predictions, specForPool: (pool, versionId) => policies.specForPool(pool, versionId), logger, owner },
    callbackListener?.port ?? null,
    previousPort,
  );
  void scheduler.watchEvents();
  retention.start();

  const app = createApp(http, scheduling, registry ? { registry: registry.service, access: registry.access, logger, publicUrl: config.publicUrl } : undefined);
  // Everything started above, stopped in order; used at shutdown and when the port cannot be had.
  const closeServices = async () => {
    webhooks.close();
    registry?.close();
    await retention.stop();
    nodes.close();
    await scheduler.close();
    await callbackListener?.stop();
    await nodeListener?.stop();
    predictions.close();
    clearInterval(statsTimer);
    clearInterval(sweepTimer);
    idleMemory?.close();
    flushStats();
    db.close();
    lock.release();
  };
  const bodyBudget = BodyBudget.fromConfig(config);
  // Memory the JIT and heap took under load goes back once requests stop (idle RSS). Process-wide,
  // so only where this server is the whole process (tests start many servers in one).
  const idleMemory = opts.ownsProcess ? new IdleMemory() : null;
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      hostname: config.host,
      port: config.port,
      // Seconds a connection may sit without a byte moving: a half-sent request is dropped after it.
      // Streams (SSE) send a keep-alive comment well within it.
      idleTimeout: config.requestTimeout,
      development: false,
      // A second modelhub on the same port must fail loudly, not share it with the first.
      reusePort: false,
      // No cap from Bun: registry layers (/v2/) are often several GB and stream to disk; every other
      // route refuses an oversized Content-Length itself (body-limit.ts) and caps what it reads.
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      // The web UI's page and assets first; everything else goes to the Elysia app.
      fetch: withUi((request: Request, srv: Bun.Server<undefined>) => {
        idleMemory?.touch();
        // Requests that may rightly take longer than the idle timeout: Prefer: wait (up to 60 s),
        // stopping containers (their grace period), and large bodies: Bun's idle timer cuts a request
        // after it even while its body arrives, so a 100 MB upload from a slow LAN client gets the
        // time its size needs at 256 KiB/s (chunked bodies, of unknown size, the most Bun allows).
        // (request.url may be a bare path here: HTTP/1.0 without Host, which the app answers 400)
        const len = Number(request.headers.get("content-length")) || 0;
        const bodyS = request.headers.has("transfer-encoding") ? 255 : len > 1 << 20 ? Math.min(255, Math.ceil(len / (256 << 10))) : 0;
        const long = Math.max(request.headers.has("prefer") ? 90 : 0, /\/stop(?:\?|$)/.test(request.url) ? 255 : 0, bodyS);
        // Registry layer uploads stream for as long as they take (minutes for several GB); Bun's idle
        // timer would cut them even while bytes arrive. The upload watches for a stalled body itself.
        if (isBlobUpload(request.method, request.url)) srv.timeout(request, 0);
        else if (long > config.requestTimeout) srv.timeout(request, long);
        // Large JSON bodies take turns within --body-memory.
        return bodyBudget.run(BodyBudget.costOf(request, config.maxBodySize), () => app.fetch(request));
      }),
    });
  } catch (err) {
    await closeServices();
    throw new Error(`cannot listen on ${config.host}:${config.port} (${(err as Error).message}); is another modelhub running there? Choose another with --port`);
  }
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${server.port}`;
  logger.info("modelhub listening", { url, dataDir });
  lock.setUrl(url);
  origins.push(url, ...(["127.0.0.1", "0.0.0.0", "localhost"].includes(config.host) ? [`http://127.0.0.1:${server.port}`, `http://localhost:${server.port}`] : []));
  targets.addOwnListener(config.host, server.port!);
  for (const o of origins) targets.addOwnOrigin(o);

  // Pushed images reach the engine by a pull from this listener on loopback (Docker treats
  // 127.0.0.0/8 as an insecure registry, so plain HTTP works); imports cut short by a restart resume.
  if (registry) {
    const loopback = ["0.0.0.0", "::", "localhost"].includes(config.host) || isLoopbackHost(config.host);
    registry.attachEngine(`${loopback ? "127.0.0.1" : config.host}:${server.port}`, new EnginePuller(config.dockerHost));
    registry.housekeeping.start();
  }

  // Keep-warm pools (min_instances) start now, after the listener, so a slow boot does not delay the API.
  scheduler.setWarm(policies.warmSpecs());
  runtime.ping().catch((err: Error) => logger.warn("Docker engine not reachable; predictions will answer 503 until it is", { error: err.message }));

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info("shutting down");
      await server.stop(true);
      await closeServices();
    })());
  return { url, port: server.port!, stop, events, adminToken: first?.token ?? null };
}
