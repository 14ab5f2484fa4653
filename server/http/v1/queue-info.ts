// The modelhub extension a queued prediction carries: its place in line and when it should start.
// presentPrediction can add it as `queue` while status is "starting"; GET /v1/predictions/{id}/queue serves it.
import type { Scheduler } from "../../scheduler/scheduler.ts";

export interface QueueJson {
  /** 1 = next to start */
  position: number;
  /** predictions waiting in the same line */
  queued: number;
  estimated_start_at: string;
  /** the estimate includes starting a container (none is up, or one is booting) */
  cold_boot: boolean;
  /** false when boot or predict time is a default guess, not yet measured on this machine */
  estimate_measured: boolean;
  /** why nothing is starting yet (waiting for a GPU, backing off after crashes), if anything */
  waiting_for: string | null;
}

export function queueJson(scheduler: Scheduler, predictionId: string): QueueJson | null {
  const q = scheduler.queueInfo(predictionId);
  if (!q) return null;
  return {
    position: q.position,
    queued: q.queued,
    estimated_start_at: new Date(q.estimatedStartAt).toISOString(),
    cold_boot: q.coldBoot,
    estimate_measured: q.measured,
    waiting_for: q.waitingFor,
  };
}
