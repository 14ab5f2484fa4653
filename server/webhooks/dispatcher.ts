// Delivers prediction webhooks to users: filtered by webhook_events_filter, output/logs throttled
// to one per 500 ms (the latest state is sent at the end of the window, never dropped), signed
// with Standard Webhooks headers, in order per prediction; only `completed` is retried, with
// exponential backoff, under the same webhook-id. Redirects are never followed.
import type { Logger } from "../log.ts";
import type { PredictionEvent, PredictionEvents } from "../predictions/events.ts";
import type { PredictionRecord } from "../predictions/store.ts";
import { newMessageId, signWebhook } from "./signing.ts";

export type WebhookEventName = "start" | "output" | "logs" | "completed";
/** Replicate: without a filter, "whenever there are new outputs or the prediction has finished". */
export const DEFAULT_EVENTS: readonly WebhookEventName[] = ["output", "completed"];

export interface WebhookDispatcherOptions {
  secret(): string;
  /** the prediction exactly as GET /v1/predictions/{id} returns it */
  present(p: PredictionRecord): unknown;
  logger: Logger;
  userAgent: string;
  throttleMs?: number;
  /** waits before each retry of a completed webhook; the last try lands ~1 min after completion */
  retryDelaysMs?: readonly number[];
  timeoutMs?: number;
  /** told of every POST's outcome (metrics count deliveries and failures) */
  onDelivery?(ok: boolean): void;
}

interface PerPrediction {
  lastSentAt: number;
  trailing: ReturnType<typeof setTimeout> | null;
  chain: Promise<void>;
}

export class WebhookDispatcher {
  private state = new Map<string, PerPrediction>();
  private closed = false;
  private retryTimers = new Set<ReturnType<typeof setTimeout>>();

  constructor(private opts: WebhookDispatcherOptions) {}

  attach(events: PredictionEvents): () => void {
    return events.subscribeAll((e) => this.handle(e));
  }

  handle(e: PredictionEvent): void {
    const p = e.prediction;
    if (!p.webhook || this.closed) return; // the common case costs one property check
    const name: WebhookEventName | null = e.kind === "update" ? null : e.kind;
    if (!name) return;
    const filter = p.webhookEventsFilter ?? DEFAULT_EVENTS;
    const st = this.stateOf(p.id);
    if (name === "completed") {
      if (st.trailing) clearTimeout(st.trailing);
      st.trailing = null;
      if (filter.includes("completed")) this.enqueue(st, p, true);
      // The chain ends with the completed delivery; forget the state then.
      void st.chain.then(() => {
        if (this.state.get(p.id) === st) this.state.delete(p.id);
      });
      return;
    }
    if (!filter.includes(name)) return;
    if (name === "start") return this.enqueue(st, p, false);
    const throttle = this.opts.throttleMs ?? 500;
    const wait = st.lastSentAt + throttle - Date.now();
    if (wait <= 0) {
      st.lastSentAt = Date.now();
      return this.enqueue(st, p, false);
    }
    // Inside the window: one trailing send with whatever the state is by then.
    st.trailing ??= setTimeout(() => {
      st.trailing = null;
      st.lastSentAt = Date.now();
      this.enqueue(st, p, false);
    }, wait);
  }

  /** Resolves when the deliveries queued so far (with their retries) have finished. */
  async drain(): Promise<void> {
    await Promise.all([...this.state.values()].map((s) => s.chain));
  }

  close(): void {
    this.closed = true;
    for (const st of this.state.values()) if (st.trailing) clearTimeout(st.trailing);
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
  }

  private stateOf(id: string): PerPrediction {
    let st = this.state.get(id);
    if (!st) this.state.set(id, (st = { lastSentAt: 0, trailing: null, chain: Promise.resolve() }));
    return st;
  }

  private enqueue(st: PerPrediction, p: PredictionRecord, terminal: boolean): void {
    // The body is taken now (a snapshot): later changes go in later webhooks.
    const body = JSON.stringify(this.opts.present(p));
    const url = p.webhook!;
    const id = newMessageId();
    st.chain = st.chain.then(() => (terminal ? this.deliverWithRetries(url, id, body, p.id) : this.deliver(url, id, body).then(() => {})));
  }

  private async deliverWithRetries(url: string, id: string, body: string, predictionId: string): Promise<void> {
    const delays = this.opts.retryDelaysMs ?? [1000, 2000, 4000, 8000, 16000, 32000];
    for (let attempt = 0; ; attempt++) {
      if (this.closed) return;
      const err = await this.deliver(url, id, body);
      if (err === null) return;
      if (attempt >= delays.length) {
        this.opts.logger.warn("giving up on a completed webhook", { prediction: predictionId, url, attempts: attempt + 1, error: err });
        return;
      }
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          this.retryTimers.delete(t);
          r();
        }, delays[attempt]);
        this.retryTimers.add(t);
      });
    }
  }

  /** One POST; null on a 2xx, else why it failed. */
  private async deliver(url: string, id: string, body: string): Promise<string | null> {
    const timestamp = Math.floor(Date.now() / 1000);
    try {
      const res = await fetch(url, {
        method: "POST",
        redirect: "manual",
        headers: {
          "content-type": "application/json",
          "user-agent": this.opts.userAgent,
          "webhook-id": id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": signWebhook(this.opts.secret(), id, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
      await res.arrayBuffer().catch(() => {});
      const ok = res.status >= 200 && res.status < 300;
      this.opts.onDelivery?.(ok);
      return ok ? null : `HTTP ${res.status}`;
    } catch (err) {
      this.opts.onDelivery?.(false);
      return (err as Error).message;
    }
  }
}
