// The sync (fast) path's container call, retried while the container is busy, and how a rejected call reads.
import { checkHealth, type CogPrediction } from "../runtime/cog-client.ts";
import type { Clock } from "../scheduler/clock.ts";
import { predictSync } from "./cog-sync.ts";
import type { Http1Client } from "./http1.ts";
import type { Running } from "./live-records.ts";
import type { PredictionRecord } from "./store.ts";

/** POSTs to the container; a 409 means "busy right now" (it can lag our own accounting), never a user error. */
export async function callSync(http: Http1Client, clock: Clock, rec: PredictionRecord, input: Record<string, unknown>, baseUrl: string, r: Running): Promise<CogPrediction> {
  for (let attempt = 0; ; attempt++) {
    const res = await predictSync(http, baseUrl, { id: rec.id, input }, r.abort.signal);
    if (res.kind === "done") return res.prediction;
    if (res.kind === "busy") {
      // Busy for long is suspicious: coglet also answers 503 after a failed setup. Ask the container.
      if (attempt > 0 && attempt % BUSY_CHECK_EVERY === 0) {
        const broken = await unusableReason(baseUrl);
        if (broken) return { status: "failed", error: broken, logs: "" };
      }
      await clock.sleep(busyDelayMs(attempt));
      continue;
    }
    return rejected(res);
  }
}

/** Busy answers between health checks (~5 s once the retry delay has reached its 100 ms cap). */
export const BUSY_CHECK_EVERY = 50;

/** Why a container that keeps saying "busy" cannot take the prediction, or null if it may yet. */
export async function unusableReason(baseUrl: string): Promise<string | null> {
  const h = await checkHealth(baseUrl, 2000);
  if (h.status === "SETUP_FAILED" || h.status === "DEFUNCT" || h.status === "UNHEALTHY")
    return `The model container keeps refusing predictions and its health check says ${h.status}${h.detail ? ` (${h.detail})` : ""}${h.setupLogs ? `; setup logs:\n${h.setupLogs}` : ""}`;
  return null;
}

export function rejected(res: { kind: "invalid"; detail: unknown } | { kind: "error"; status: number; body: string }): CogPrediction {
  if (res.kind === "invalid") return { status: "failed", error: `The model rejected the input: ${JSON.stringify(res.detail)}`, logs: "" };
  return { status: "failed", error: `The model container answered HTTP ${res.status}: ${res.body}`, logs: "" };
}

/** A 409 usually clears within a millisecond (the container answers just before it frees its slot). */
export const busyDelayMs = (attempt: number) => Math.min(2 ** attempt, 100);
