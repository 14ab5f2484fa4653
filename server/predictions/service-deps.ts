// What the prediction service is built from (its constructor's argument), shared by the files that make it up.
import type { Catalog } from "../catalog/catalog.ts";
import type { Policies } from "../catalog/policy.ts";
import type { Logger } from "../log.ts";
import type { Clock } from "../scheduler/clock.ts";
import type { Scheduler } from "../scheduler/scheduler.ts";
import type { CallbackRegistry } from "./callbacks.ts";
import type { PredictionEvents } from "./events.ts";
import type { PredictionFiles } from "./ports.ts";
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
  /** per-model and per-deployment run policy; without it, `policy` applies to every version */
  policies?: Policies;
  files?: PredictionFiles;
  callbacks?: CallbackRegistry;
  /** origin for output file URLs when the caller gave none (the public URL, else the listen address) */
  defaultOrigin?: () => string;
}

const DEFAULT_MAX_LOG_CHARS = 1_000_000;

/** Characters of logs kept per prediction. */
export function maxLogChars(policy: PredictionPolicy): number {
  return policy.maxLogChars ?? DEFAULT_MAX_LOG_CHARS;
}
