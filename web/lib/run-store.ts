// Follows one prediction for the page: opens its SSE stream for output and logs, polls its status
// (the stream carries no status) until it ends, and cancels it. One watcher per prediction id.
import { api, HttpError, type PredictionJson, TERMINAL } from "./api.ts";
import { initialRun, reduce, type RunAction, type RunState } from "./run-state.ts";
import { Store } from "./store.ts";

export class RunWatch {
  readonly state: Store<RunState>;
  private source: EventSource | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private startedAt = Date.now();

  constructor(readonly id: string, first: PredictionJson | null) {
    this.state = new Store(initialRun(first));
    if (first) this.follow(first);
    else void this.poll();
  }

  private dispatch(a: RunAction) {
    this.state.set(reduce(this.state.get(), a));
  }

  private follow(p: PredictionJson) {
    this.dispatch({ type: "loaded", prediction: p });
    if (TERMINAL.has(p.status)) return this.close();
    if (!this.source && p.urls.stream && typeof EventSource !== "undefined") this.openStream(p.urls.stream);
    this.schedule();
  }

  private openStream(url: string) {
    const es = new EventSource(url);
    this.source = es;
    es.onopen = () => this.dispatch({ type: "stream-open" });
    es.addEventListener("output", (e) => this.dispatch({ type: "output", data: (e as MessageEvent).data }));
    es.addEventListener("logs", (e) => this.dispatch({ type: "logs", data: (e as MessageEvent).data }));
    // The end: fetch the final object at once instead of waiting for the next poll.
    es.addEventListener("done", () => {
      es.close();
      void this.poll();
    });
    // EventSource reconnects by itself after a network error; the polls keep the status current meanwhile.
  }

  private schedule() {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    const age = Date.now() - this.startedAt;
    const hidden = typeof document !== "undefined" && document.hidden;
    this.timer = setTimeout(() => void this.poll(), hidden ? 10_000 : age < 10_000 ? 1000 : age < 60_000 ? 2000 : 5000);
  }

  async poll(): Promise<void> {
    if (this.stopped) return;
    try {
      this.follow(await api<PredictionJson>("GET", `/v1/predictions/${encodeURIComponent(this.id)}`));
    } catch (e) {
      this.dispatch({ type: "problem", message: (e as Error).message });
      // One failed request does not end the updates; a prediction that is not there (or not this
      // caller's) will not appear by asking again.
      if (e instanceof HttpError && e.status === 404) this.close();
      else this.schedule();
    }
  }

  async cancel(): Promise<void> {
    this.dispatch({ type: "cancel-requested" });
    try {
      this.follow(await api<PredictionJson>("POST", `/v1/predictions/${encodeURIComponent(this.id)}/cancel`));
    } catch (e) {
      this.dispatch({ type: "cancel-failed", message: (e as Error).message });
    }
  }

  close() {
    this.stopped = true;
    this.source?.close();
    this.source = null;
    if (this.timer) clearTimeout(this.timer);
  }
}

const watches = new Map<string, RunWatch>();

/** The watcher of a prediction (shared by every view showing it). */
export function watchRun(id: string, first: PredictionJson | null = null): RunWatch {
  let w = watches.get(id);
  if (!w) {
    w = new RunWatch(id, first);
    watches.set(id, w);
    // Keep a handful: a user clicking through history should not keep dozens of streams open.
    if (watches.size > 8) {
      const [oldId, old] = watches.entries().next().value!;
      old.close();
      watches.delete(oldId);
    }
  }
  return w;
}

if (typeof document !== "undefined")
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) for (const w of watches.values()) void w.poll();
  });
