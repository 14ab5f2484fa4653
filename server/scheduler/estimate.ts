// Pure estimate of when a queued prediction starts: replays the queue over the pool's slots using
// measured boot and predict times, so the answer includes a cold boot whenever one is needed.

export interface EstimateInstance {
  state: "starting" | "ready";
  createdAt: number;
  /** when each in-flight prediction on it started */
  leaseStarts: readonly number[];
}

export interface EstimateInput {
  now: number;
  /** 0-based place in the queue */
  position: number;
  concurrency: number;
  /** this pool's starting and ready instances (not stopping ones) */
  instances: readonly EstimateInstance[];
  bootMs: number;
  predictMs: number;
  /** extra wait before a cold start may begin (crash backoff, an eviction in progress) */
  startDelayMs: number;
}

export interface Estimate {
  startAt: number;
  /** true when this prediction waits for a container that is booting or not started yet */
  coldBoot: boolean;
}

interface Slot {
  freeAt: number;
  cold: boolean;
}

export function estimateStart(input: EstimateInput): Estimate {
  const { now, concurrency, bootMs, predictMs } = input;
  const slotsPer = Math.max(1, concurrency);
  const slots: Slot[] = [];
  for (const inst of input.instances) {
    if (inst.state === "starting") {
      const readyAt = Math.max(now, inst.createdAt + bootMs);
      for (let i = 0; i < slotsPer; i++) slots.push({ freeAt: readyAt, cold: true });
      continue;
    }
    // A prediction running longer than the average is assumed to end now, not in the past.
    for (const started of inst.leaseStarts.slice(0, slotsPer)) slots.push({ freeAt: Math.max(now, started + predictMs), cold: false });
    for (let i = inst.leaseStarts.length; i < slotsPer; i++) slots.push({ freeAt: now, cold: false });
  }
  // Nothing up: the first in line pays a whole boot. Scale-out is left out on purpose, so the estimate errs late.
  if (slots.length === 0) {
    const readyAt = now + Math.max(0, input.startDelayMs) + bootMs;
    for (let i = 0; i < slotsPer; i++) slots.push({ freeAt: readyAt, cold: true });
  }
  for (let i = 0; ; i++) {
    slots.sort((a, b) => a.freeAt - b.freeAt);
    const slot = slots[0];
    if (i === input.position) return { startAt: slot.freeAt, coldBoot: slot.cold };
    // Whoever takes this slot runs one average prediction; after that the slot is warm.
    slots[0] = { freeAt: slot.freeAt + predictMs, cold: false };
  }
}

/** Seconds a client told "queue full" should wait before trying again: about one prediction's worth of drain. */
export function retryAfterSeconds(predictMs: number, slots: number): number {
  const seconds = Math.ceil(predictMs / Math.max(1, slots) / 1000);
  return Math.min(60, Math.max(1, seconds));
}
