// Opening a prediction's stream by its capability token: the replay so far, then live events until `done`.
import type { ServiceDeps } from "./run-context.ts";
import type { RunRegistry } from "./run-registry.ts";
import type { PredictionRecord } from "./store.ts";
import { StreamCursor, type StreamEvent } from "./stream.ts";

export interface StreamHandle {
  /** events for everything that happened before the subscription (replay from the start) */
  replay: StreamEvent[];
  /** true when the replay already ends with `done` */
  done: boolean;
  /** calls `fn` with new events until `done`; returns the unsubscribe function */
  subscribe(fn: (events: StreamEvent[], reportedAt?: number) => void): () => void;
  fileOutput: boolean;
  /** when the prediction was created: the stable base of its event ids */
  createdAt: string;
}

/**
 * A stream on a prediction by its capability token: a replay of everything so far, then live
 * events. A subscriber counts toward the path choice of a prediction that has not started yet.
 * `get` is the service's get() (the in-memory record while it runs, else the stored one).
 */
export function openStream(deps: ServiceDeps, records: RunRegistry, get: (id: string) => PredictionRecord, token: string): StreamHandle | null {
  const liveId = records.liveStreams.get(token);
  const r = liveId ? records.running.get(liveId) : undefined;
  const rec = r?.rec ?? (liveId ? records.finished.get(liveId) : undefined) ?? deps.store.byStreamToken(token);
  if (!rec) return null;
  const cursor = new StreamCursor();
  const replay = cursor.next(rec);
  return {
    replay,
    done: cursor.done,
    fileOutput: rec.fileOutput,
    createdAt: rec.createdAt,
    subscribe: (fn) => {
      if (cursor.done) return () => {};
      const unwatch = r?.watch();
      let unsubscribed = false;
      const unsub = deps.events.subscribe(rec.id, (e) => {
        const evs = cursor.next(e.prediction);
        if (evs.length) fn(evs, e.reportedAt);
        if (cursor.done) stop();
      });
      const stop = () => {
        if (unsubscribed) return;
        unsubscribed = true;
        unsub();
        unwatch?.();
      };
      // It may have finished between the replay and now (not in this single-threaded flow, but cheap to check).
      const late = cursor.next(r?.rec ?? get(rec.id));
      if (late.length) fn(late);
      if (cursor.done) stop();
      return stop;
    },
  };
}
