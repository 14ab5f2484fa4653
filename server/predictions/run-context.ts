// What the prediction service is built from (ServiceDeps, its constructor's argument) and what its
// runs share (RunContext).
import type { Catalog, Version } from "../catalog/catalog.ts";
import type { Policies } from "../catalog/policy.ts";
import type { CogRuntimeLine } from "../cog/cog-container.ts";
import type { Logger } from "../log.ts";
import type { Clock } from "../scheduler/clock.ts";
import type { RunSpec, Scheduler } from "../scheduler/scheduler.ts";
import type { CallbackRegistry } from "./callbacks.ts";
import type { PredictionEvents } from "./events.ts";
import type { PredictionFiles } from "./ports.ts";
import type { RunRegistry } from "./run-registry.ts";
import type { PredictionStore } from "./store.ts";

export interface PredictionPolicy {
  idleTimeoutMs: number;
  setupTimeoutMs: number;
  maxQueue: number;
  predictTimeoutMs: number;
  /** characters of logs kept per prediction */
  maxLogChars?: number;
}

export interface ServiceDeps {
  catalog: Catalog;
  scheduler: Scheduler;
  store: PredictionStore;
  events: PredictionEvents;
  clock: Clock;
  logger: Logger;
  policy: PredictionPolicy;
  /** per-model and per-deployment run policy: every RunSpec comes from here */
  policies: Policies;
  files?: PredictionFiles;
  callbacks?: CallbackRegistry;
  /** origin for output file URLs when the caller gave none (the public URL, else the listen address) */
  defaultOrigin?: () => string;
  /** how containers are spoken to (default: Cog's Python server) */
  cog?: CogRuntimeLine;
}

/** What every PredictionRun shares: the service's parts and what it learns across runs. */
export interface RunContext {
  readonly deps: ServiceDeps;
  readonly registry: RunRegistry;
  readonly cog: CogRuntimeLine;
  /** moving average of predict time per version, in ms (for the path choice) */
  readonly typicalMs: Map<string, number>;
  /** the run spec of a version (cached briefly) */
  specFor(v: Version, deployment: string | null): RunSpec;
  /** a container did not call back: every later prediction takes the sync path */
  callbacksUnreachable(): void;
}

const DEFAULT_MAX_LOG_CHARS = 1_000_000;

/** Characters of logs kept per prediction. */
export function maxLogChars(policy: PredictionPolicy): number {
  return policy.maxLogChars ?? DEFAULT_MAX_LOG_CHARS;
}
