// In-process pub/sub of prediction updates. SSE streams, webhooks and `Prefer: wait` subscribe;
// the prediction service publishes. Nothing here knows about HTTP.
import type { PredictionRecord } from "./store.ts";

export type PredictionEventKind = "start" | "output" | "logs" | "completed" | "update";
export interface PredictionEvent {
  kind: PredictionEventKind;
  prediction: PredictionRecord;
  /** performance.now() when the container reported what this event carries (for latency measurements) */
  reportedAt?: number;
}
type Listener = (e: PredictionEvent) => void;

export class PredictionEvents {
  private byId = new Map<string, Set<Listener>>();
  private all = new Set<Listener>();

  subscribe(id: string, fn: Listener): () => void {
    let set = this.byId.get(id);
    if (!set) this.byId.set(id, (set = new Set()));
    set.add(fn);
    return () => {
      set!.delete(fn);
      if (!set!.size) this.byId.delete(id);
    };
  }

  subscribeAll(fn: Listener): () => void {
    this.all.add(fn);
    return () => this.all.delete(fn);
  }

  publish(kind: PredictionEventKind, prediction: PredictionRecord, reportedAt?: number): void {
    const e: PredictionEvent = { kind, prediction, reportedAt };
    for (const fn of this.byId.get(prediction.id) ?? []) fn(e);
    for (const fn of this.all) fn(e);
  }
}
