// The one settings registry: every flag and MODELHUB_* variable, its default and meaning.
// loadConfig() reads it once; everything else receives the frozen Config it returns.

/** "bytes": a size like 6g, 512m, 32k or 1024, parsed to a number of bytes when the config is loaded. */
export type SettingType = "string" | "int" | "number" | "bool" | "bytes";

export interface Setting {
  key: keyof Config;
  flag: string; // --flag
  env: string; // MODELHUB_*
  type: SettingType;
  default: string | number | boolean;
  description: string;
  /** commands this setting applies to (help text groups by it) */
  scope: "serve" | "client" | "all";
}

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  publicUrl: string;
  dockerHost: string;
  url: string;
  gpus: string;
  /** bytes */
  shmSize: number;
  setupTimeout: number;
  idleTimeout: number;
  maxQueue: number;
  maxInstances: number;
  predictTimeout: number;
  logLevel: string;
  logFormat: string;
  callbackHost: string;
  /** bytes */
  maxFileSize: number;
  /** bytes */
  maxLogSize: number;
  /** bytes */
  inlineInputSize: number;
  retentionDays: number;
  /** bytes */
  maxBodySize: number;
  /** bytes: memory large JSON requests may take at once (body-budget.ts) */
  bodyMemory: number;
  username: string;
  auth: string;
  /** pull | load: how pushed versions reach the engine (server/registry/engine-import.ts) */
  registryImport: string;
  allowOpenNetwork: boolean;
  corsOrigins: string;
  webhookAllow: string;
  rateLimit: number;
  requestTimeout: number;
  /** bytes */
  containerMemory: number;
  containerCpus: number;
  containerPids: number;
  containerNetwork: string;
  /** seconds between checks of each remote node (ping, and its GPUs every tenth check) */
  nodeCheckInterval: number;
  /** image the GPU probe runs nvidia-smi in, on nodes whose engine has the NVIDIA runtime */
  nodeProbeImage: string;
  /** where nodes' relays send their containers' callbacks ("" = nowhere) */
  nodeCallbackUrl: string;
  /** HOST:PORT of modelhub's registry as nodes' engines reach it ("" = nodes get images streamed) */
  nodeRegistryUrl: string;
  token: string;
}

export const SETTINGS: readonly Setting[] = [
  { key: "host", flag: "--host", env: "MODELHUB_HOST", type: "string", default: "127.0.0.1", scope: "serve",
    description: "address to listen on (127.0.0.1 keeps the API off the network)" },
  { key: "port", flag: "--port", env: "MODELHUB_PORT", type: "int", default: 5100, scope: "serve",
    description: "port to listen on" },
  { key: "dataDir", flag: "--data-dir", env: "MODELHUB_DATA_DIR", type: "string", default: "./modelhub-data", scope: "serve",
    description: "folder holding the SQLite database and stored files" },
  { key: "publicUrl", flag: "--public-url", env: "MODELHUB_PUBLIC_URL", type: "string", default: "", scope: "serve",
    description: "origin used in absolute URLs (default: taken from each request's Host header)" },
  { key: "dockerHost", flag: "--docker-host", env: "MODELHUB_DOCKER_HOST", type: "string", default: "unix:///var/run/docker.sock", scope: "serve",
    description: "Docker engine socket (unix:///path or tcp://host:port)" },
  { key: "gpus", flag: "--gpus", env: "MODELHUB_GPUS", type: "string", default: "all", scope: "serve",
    description: "GPUs to use: all, none, indices like 0,1, or fake:N (simulated, for tests)" },
  { key: "shmSize", flag: "--shm-size", env: "MODELHUB_SHM_SIZE", type: "bytes", default: "6g", scope: "serve",
    description: "shared memory per container, like cog predict (PyTorch data loaders need it)" },
  { key: "setupTimeout", flag: "--setup-timeout", env: "MODELHUB_SETUP_TIMEOUT", type: "number", default: 300, scope: "serve",
    description: "seconds a container may take from start to READY before it counts as failed" },
  { key: "idleTimeout", flag: "--idle-timeout", env: "MODELHUB_IDLE_TIMEOUT", type: "number", default: 300, scope: "serve",
    description: "seconds an idle container keeps running (0 = stop when idle, -1 = never)" },
  { key: "maxQueue", flag: "--max-queue", env: "MODELHUB_MAX_QUEUE", type: "int", default: 100, scope: "serve",
    description: "predictions that may wait per version before new ones get 429" },
  { key: "maxInstances", flag: "--max-instances", env: "MODELHUB_MAX_INSTANCES", type: "int", default: 1, scope: "serve",
    description: "containers per model a growing queue may scale out to (per-model policy overrides it)" },
  { key: "predictTimeout", flag: "--predict-timeout", env: "MODELHUB_PREDICT_TIMEOUT", type: "number", default: 1800, scope: "serve",
    description: "seconds a single prediction may run before it is canceled" },
  { key: "callbackHost", flag: "--callback-host", env: "MODELHUB_CALLBACK_HOST", type: "string", default: "auto", scope: "serve",
    description: "address containers call back on (webhooks, file uploads): auto = the Docker bridge gateway, off = none (no live logs or streaming)" },
  { key: "maxFileSize", flag: "--max-file-size", env: "MODELHUB_MAX_FILE_SIZE", type: "bytes", default: "100m", scope: "serve",
    description: "largest file accepted by POST /v1/files or from a model's output (e.g. 100m, 2g)" },
  { key: "maxLogSize", flag: "--max-log-size", env: "MODELHUB_MAX_LOG_SIZE", type: "bytes", default: "1m", scope: "serve",
    description: "logs kept per prediction; beyond it the head and the last lines are kept (e.g. 1m)" },
  { key: "inlineInputSize", flag: "--inline-input-size", env: "MODELHUB_INLINE_INPUT_SIZE", type: "bytes", default: "32k", scope: "serve",
    description: "uploaded files up to this size reach the container inline as data URLs; larger ones by URL" },
  { key: "retentionDays", flag: "--retention-days", env: "MODELHUB_RETENTION_DAYS", type: "number", default: 30, scope: "serve",
    description: "days finished predictions (with their logs and output files) are kept before they are deleted; 0 = keep forever" },
  { key: "maxBodySize", flag: "--max-body-size", env: "MODELHUB_MAX_BODY_SIZE", type: "bytes", default: "100m", scope: "serve",
    description: "largest JSON request body (inputs with inline data URLs included); larger ones get 413 (uploads: --max-file-size)" },
  { key: "bodyMemory", flag: "--body-memory", env: "MODELHUB_BODY_MEMORY", type: "bytes", default: "1g", scope: "serve",
    description: "memory large JSON requests (over 1 MiB) may take at once, counted as 8x their size; more wait their turn, one always runs (e.g. 1g)" },
  { key: "username", flag: "--username", env: "MODELHUB_USERNAME", type: "string", default: "", scope: "serve",
    description: "account name GET /v1/account reports (default: the user running modelhub)" },
  { key: "auth", flag: "--auth", env: "MODELHUB_AUTH", type: "string", default: "on", scope: "serve",
    description: "on: every API call needs a token (the first start writes an admin token to <data-dir>/admin-token); off: no tokens, loopback only" },
  { key: "registryImport", flag: "--registry-import", env: "MODELHUB_REGISTRY_IMPORT", type: "string", default: "pull", scope: "serve",
    description: "how pushed versions reach the Docker engine: pull (from modelhub's address; loaded from stored blobs when the engine cannot reach it) or load (always load)" },
  { key: "allowOpenNetwork", flag: "--allow-open-network", env: "MODELHUB_ALLOW_OPEN_NETWORK", type: "bool", default: false, scope: "serve",
    description: "let --auth off listen on a non-loopback address (anyone who can reach it can use it)" },
  { key: "corsOrigins", flag: "--cors-origins", env: "MODELHUB_CORS_ORIGINS", type: "string", default: "", scope: "serve",
    description: "comma-separated web origins allowed to call the API from a browser (CORS); empty = none" },
  { key: "webhookAllow", flag: "--webhook-allow", env: "MODELHUB_WEBHOOK_ALLOW", type: "string", default: "", scope: "serve",
    description: "comma-separated hosts, IPs or CIDRs webhooks and URL inputs may target although refused by default (link-local, metadata)" },
  { key: "rateLimit", flag: "--rate-limit", env: "MODELHUB_RATE_LIMIT", type: "int", default: 120, scope: "serve",
    description: "predictions a user token may create per minute (429 with Retry-After beyond it; admin tokens are not limited); 0 = no limit" },
  { key: "requestTimeout", flag: "--request-timeout", env: "MODELHUB_REQUEST_TIMEOUT", type: "int", default: 30, scope: "serve",
    description: "seconds a connection may stay idle (headers or body not arriving) before it is closed (1-255)" },
  { key: "containerMemory", flag: "--container-memory", env: "MODELHUB_CONTAINER_MEMORY", type: "bytes", default: "0", scope: "serve",
    description: "memory limit per model container (e.g. 16g; 0 = none); going over it kills the prediction's container (out of memory)" },
  { key: "containerCpus", flag: "--container-cpus", env: "MODELHUB_CONTAINER_CPUS", type: "number", default: 0, scope: "serve",
    description: "CPUs a model container may use (e.g. 4 or 2.5; 0 = no limit)" },
  { key: "containerNetwork", flag: "--container-network", env: "MODELHUB_CONTAINER_NETWORK", type: "string", default: "modelhub", scope: "serve",
    description: "Docker network model containers run on, made with inter-container traffic off; \"\" = the default bridge (containers can reach each other)" },
  { key: "containerPids", flag: "--container-pids", env: "MODELHUB_CONTAINER_PIDS", type: "int", default: 4096, scope: "serve",
    description: "processes a model container may run (0 = no limit)" },
  { key: "nodeCheckInterval", flag: "--node-check-interval", env: "MODELHUB_NODE_CHECK_INTERVAL", type: "number", default: 5, scope: "serve",
    description: "seconds between checks that each remote node answers (two missed in a row: it is down); its GPUs are probed every 10 checks" },
  { key: "nodeProbeImage", flag: "--node-probe-image", env: "MODELHUB_NODE_PROBE_IMAGE", type: "string", default: "nvidia/cuda:12.4.1-base-ubuntu22.04", scope: "serve",
    description: "image a node's GPU probe runs nvidia-smi in, when no relay image is there to use (only on engines with the NVIDIA runtime)" },
  { key: "nodeCallbackUrl", flag: "--node-callback-url", env: "MODELHUB_NODE_CALLBACK_URL", type: "string", default: "", scope: "serve",
    description: "http://ADDRESS:PORT on this machine that other machines' relays reach: the callback listener listens there too, for model containers on nodes (webhooks, uploads); empty = they run without live progress" },
  { key: "nodeRegistryUrl", flag: "--node-registry-url", env: "MODELHUB_NODE_REGISTRY_URL", type: "string", default: "", scope: "serve",
    description: "HOST:PORT where nodes' engines reach modelhub's registry (/v2/; in their insecure-registries unless TLS is in front): pushed versions are pulled from there; empty = every image is streamed from the local engine" },
  { key: "logLevel", flag: "--log-level", env: "MODELHUB_LOG_LEVEL", type: "string", default: "info", scope: "serve",
    description: "debug, info, warn or error" },
  { key: "logFormat", flag: "--log-format", env: "MODELHUB_LOG_FORMAT", type: "string", default: "text", scope: "serve",
    description: "log lines: text (time LEVEL message key=value) or json (one object a line)" },
  { key: "url", flag: "--url", env: "MODELHUB_URL", type: "string", default: "http://127.0.0.1:5100", scope: "client",
    description: "modelhub server the CLI talks to" },
  { key: "token", flag: "--token", env: "MODELHUB_TOKEN", type: "string", default: "", scope: "client",
    description: "API token the CLI sends (default: <data-dir>/admin-token when --url is this machine)" },
] as const;

export class ConfigError extends Error {}

/** "6g" / "512m" / "1024" → bytes, like docker's --shm-size. */
export function parseByteSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)b?$/i.exec(s.trim());
  if (!m) throw new ConfigError(`invalid size "${s}" (use e.g. 6g, 512m)`);
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase() as "" | "k" | "m" | "g" | "t"];
  return Math.round(Number(m[1]) * mult);
}

function parseValue(s: Setting, raw: string, origin: string): string | number | boolean {
  switch (s.type) {
    case "string":
      return raw;
    case "bytes":
      try {
        return parseByteSize(raw);
      } catch {
        throw new ConfigError(`${origin} must be a size like 100m, 2g or 32k, got "${raw}"`);
      }
    case "bool":
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      throw new ConfigError(`${origin} must be true or false, got "${raw}"`);
    case "int":
    case "number": {
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(n) || (s.type === "int" && !Number.isInteger(n)))
        throw new ConfigError(`${origin} must be ${s.type === "int" ? "an integer" : "a number"}, got "${raw}"`);
      return n;
    }
  }
}

/**
 * Flags win over environment variables, which win over defaults.
 * `flags` maps a flag name without dashes ("data-dir") to its raw string.
 */
export function loadConfig(env: Record<string, string | undefined>, flags: Record<string, string> = {}): Readonly<Config> {
  const out = {} as Record<keyof Config, unknown>;
  for (const s of SETTINGS) {
    const flagName = s.flag.slice(2);
    if (flags[flagName] !== undefined) out[s.key] = parseValue(s, flags[flagName], s.flag);
    else if (env[s.env] !== undefined && env[s.env] !== "") out[s.key] = parseValue(s, env[s.env]!, s.env);
    else out[s.key] = s.type === "bytes" ? parseByteSize(String(s.default)) : s.default;
  }
  const cfg = out as Config;
  if (cfg.port < 0 || cfg.port > 65535) throw new ConfigError(`--port must be between 0 and 65535, got ${cfg.port}`);
  cfg.publicUrl = cfg.publicUrl.replace(/\/+$/, "");
  cfg.url = cfg.url.replace(/\/+$/, "");
  if (cfg.auth !== "on" && cfg.auth !== "off") throw new ConfigError(`--auth must be on or off, got "${cfg.auth}"`);
  if (cfg.registryImport !== "pull" && cfg.registryImport !== "load") throw new ConfigError(`--registry-import must be pull or load, got "${cfg.registryImport}"`);
  if (cfg.nodeRegistryUrl && !/^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(cfg.nodeRegistryUrl))
    throw new ConfigError(`--node-registry-url must be HOST:PORT (no scheme: how nodes' engines name modelhub's registry), got "${cfg.nodeRegistryUrl}"`);
  if (cfg.requestTimeout < 1 || cfg.requestTimeout > 255) throw new ConfigError(`--request-timeout must be 1 to 255 seconds, got ${cfg.requestTimeout}`);
  if (cfg.retentionDays < 0) throw new ConfigError(`--retention-days must be 0 (keep forever) or more, got ${cfg.retentionDays}`);
  if (cfg.logFormat !== "text" && cfg.logFormat !== "json") throw new ConfigError(`--log-format must be text or json, got "${cfg.logFormat}"`);
  // The one local account: named after the user running modelhub, shaped like a model owner.
  const user = cfg.username || env.USER || env.USERNAME || env.LOGNAME || "local";
  cfg.username = user.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[-._]+|[-._]+$/g, "").slice(0, 100) || "local";
  return Object.freeze(cfg);
}

/** The flag names loadConfig understands, so the CLI can reject unknown ones. */
export function knownFlags(): Set<string> {
  return new Set(SETTINGS.map((s) => s.flag.slice(2)));
}

/** One line per setting for `modelhub --help`. */
export function settingsHelp(): string {
  const rows = SETTINGS.map((s) => [`${s.flag} <${s.type === "bool" ? "true|false" : s.type === "string" ? "value" : s.type === "bytes" ? "size" : s.type}>`, s.env, String(s.default === "" ? '""' : s.default), s.description]);
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => `  ${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  default ${r[2].padEnd(w[2])}  ${r[3]}`).join("\n");
}
