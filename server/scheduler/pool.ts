// A pool: the queue and settings of one version (or one deployment), and the read-only views of it
// the API shows — queued work, why it waits, and when a queued prediction should start.
import { estimateStart } from "./estimate.ts";
import type { SchedulerState } from "./state.ts";
import { DEFAULT_RETIRE_MS, retireStale } from "./stopping.ts";
import { GUESS_BOOT_MS, GUESS_PREDICT_MS, type StatsBook } from "./stats.ts";
import type { Instance, Lease } from "./instance-state.ts";
import { poolKey, type RunSpec } from "./run-spec.ts";
import type { SetupFailedError } from "./scheduler-errors.ts";

export interface Waiter {
  spec: RunSpec;
  predictionId?: string;
  enqueuedAt: number;
  resolve(lease: Lease): void;
  reject(err: Error): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export interface Pool {
  key: string;
  spec: RunSpec; // the latest seen: policy can change between calls
  queue: Waiter[];
  /** unexpected exits and failed starts in a row; reset when an instance finishes a prediction */
  failures: number;
  backoffUntil: number;
  backoffTimer: unknown;
  /** why queued work is not starting yet (placement said wait, backoff), for ps and estimates */
  waitReason: string | null;
  /** in the keep-warm set (min instances > 0) */
  warm: boolean;
  /** keep-warm paused by an explicit stop, until the pool's next prediction */
  suspended: boolean;
  /** setup failed: remembered until retry(), so a broken image is not booted again and again */
  setupError: SetupFailedError | null;
}

export function newPool(spec: RunSpec): Pool {
  return { key: poolKey(spec), spec, queue: [], failures: 0, backoffUntil: 0, backoffTimer: undefined, waitReason: null, warm: false, suspended: false, setupError: null };
}

/** The pool of this spec, created on first use; a newer spec replaces the pool's and retires what no longer fits. */
export function poolFor(c: SchedulerState, spec: RunSpec): Pool {
  const key = poolKey(spec);
  let pool = c.pools.get(key);
  if (!pool) {
    pool = newPool(spec);
    c.pools.set(key, pool);
  } else if ((spec.rev ?? 0) >= (pool.spec.rev ?? 0)) {
    pool.spec = spec;
    retireStale(c, pool, DEFAULT_RETIRE_MS);
  }
  return pool;
}

export interface QueueView {
  key: string;
  versionId: string;
  model: string;
  deployment: string | null;
  queued: number;
  backoffUntil: number | null;
  waitReason: string | null;
  setupError: string | null;
}

export interface QueueInfo {
  /** 1-based place in its pool's queue */
  position: number;
  queued: number;
  estimatedStartAt: number;
  coldBoot: boolean;
  /** false when boot or predict time is a default guess rather than measured on this machine */
  measured: boolean;
  waitingFor: string | null;
}

/** Pools worth showing: work waiting, a backoff, a remembered setup failure, or a reason to wait. */
export function queueViews(pools: Iterable<Pool>, now: number): QueueView[] {
  return [...pools]
    .filter((p) => p.queue.length > 0 || p.backoffUntil > now || p.setupError || p.waitReason)
    .map((p) => ({
      key: p.key,
      versionId: p.spec.versionId,
      model: p.spec.model,
      deployment: p.spec.deployment ?? null,
      queued: p.queue.length,
      backoffUntil: p.backoffUntil > now ? p.backoffUntil : null,
      waitReason: p.waitReason,
      setupError: p.setupError?.message ?? null,
    }));
}

/** Place and estimated start of the waiter at `position`, given the pool's live instances. */
export function queueInfoAt(pool: Pool, position: number, live: readonly Instance[], stats: StatsBook, now: number): QueueInfo {
  const v = pool.spec.versionId;
  const boot = stats.avgBootMs(v);
  const predict = stats.avgPredictMs(v);
  const est = estimateStart({
    now,
    position,
    concurrency: pool.spec.concurrency,
    instances: live.map((i) => ({
      state: i.state === "starting" ? ("starting" as const) : ("ready" as const),
      createdAt: i.createdAt,
      // An unhealthy instance takes no work: count its slots as busy until an average prediction's time.
      leaseStarts: i.state === "unhealthy" ? Array(i.concurrency).fill(now) : [...i.leases.values()].map((l) => l.startedAt),
    })),
    bootMs: boot ?? GUESS_BOOT_MS,
    predictMs: predict ?? GUESS_PREDICT_MS,
    startDelayMs: Math.max(0, pool.backoffUntil - now),
  });
  return {
    position: position + 1,
    queued: pool.queue.length,
    estimatedStartAt: est.startAt,
    coldBoot: est.coldBoot,
    measured: boot !== null && predict !== null,
    waitingFor: pool.waitReason,
  };
}
