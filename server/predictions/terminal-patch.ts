// The fields a prediction gets when it ends (completion time, total time, bounded logs), and ending
// a stored prediction this process does not run (a leftover, a version that failed setup before).
import { finalCapped } from "./log-cap.ts";
import { maxLogChars, type ServiceDeps } from "./run-context.ts";
import { type PredictionRecord, TERMINAL } from "./store.ts";

export const round = (n: number) => Math.round(n * 1e6) / 1e6;

export function terminalPatch(deps: ServiceDeps, rec: PredictionRecord, patch: Partial<PredictionRecord>): Partial<PredictionRecord> {
  const completedAt = new Date(deps.clock.now()).toISOString();
  const metrics = { ...(patch.metrics ?? rec.metrics) };
  metrics.total_time = round((Date.parse(completedAt) - Date.parse(rec.createdAt)) / 1000);
  let logs = patch.logs ?? rec.logs;
  // Paths that bypass the live cap (setup logs, exit logs) are bounded here too.
  const cap = maxLogChars(deps.policy);
  if (logs.length > cap) logs = finalCapped("", logs, 0, cap);
  return { ...patch, logs, metrics, completedAt };
}

/** Ends a stored prediction no run of this process owns: written at once, then published. */
export function finishStored(deps: ServiceDeps, rec: PredictionRecord, patch: Partial<PredictionRecord>): void {
  if (TERMINAL.has(rec.status)) return;
  const full = terminalPatch(deps, rec, patch);
  Object.assign(rec, full);
  deps.store.update(rec.id, full);
  deps.events.publish("completed", rec);
}
