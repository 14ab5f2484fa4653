// Which way a prediction goes to its container. Pure, so the rule is tested on its own.
//
// sync  = POST /predictions and hold the connection: the lowest latency (real Cog 0.9 server: ~4.0 ms
//         per hello prediction vs ~5.5 ms async), but nothing is seen until the end.
// async = PUT /predictions/{id} + Prefer: respond-async + a webhook back to modelhub + the
//         --upload-url: logs and iterator outputs arrive while the model runs, files come as raw
//         PUTs instead of base64.
// Measured through modelhub (docs/benchmarks.md), async costs about 1.5 ms more per prediction,
// which only matters to a client that blocks on the answer of a fast model. So: sync when the
// client waits (Prefer: wait), the output is not an iterator, nobody watches live (no stream
// subscriber, no user webhook asking for logs) and the version's recent predictions were quick;
// async otherwise.

export type ContainerPath = "sync" | "async";

export interface PathFacts {
  /** the callback listener is up and the image understands --upload-url / respond-async (Cog ≥ 0.7) */
  asyncCapable: boolean;
  /** Output schema is an iterator (x-cog-array-type: iterator) */
  iterator: boolean;
  /** the create request asked to wait (Prefer: wait) */
  clientWaits: boolean;
  /** SSE subscribers on this prediction right now */
  streamSubscribers: number;
  /** the user's webhook asks for live events (logs, or output of an iterator) */
  liveWebhook: boolean;
  /** recent predict time of this version in ms (moving average), null when unknown */
  typicalPredictMs: number | null;
}

/** Above this, 1.5 ms of async overhead is under 0.2 % and live logs are worth having. */
export const LONG_PREDICTION_MS = 1000;

export function choosePath(f: PathFacts): { path: ContainerPath; reason: string } {
  if (!f.asyncCapable) return { path: "sync", reason: "async unavailable" };
  if (f.iterator) return { path: "async", reason: "iterator output grows live" };
  if (f.streamSubscribers > 0) return { path: "async", reason: "a stream subscriber is watching" };
  if (f.liveWebhook) return { path: "async", reason: "the webhook asks for live events" };
  if (!f.clientWaits) return { path: "async", reason: "the client polls or streams: show logs as printed" };
  if (f.typicalPredictMs !== null && f.typicalPredictMs > LONG_PREDICTION_MS) return { path: "async", reason: "long predictions: live logs cost nothing noticeable" };
  return { path: "sync", reason: "the client waits for a quick model: lowest latency" };
}

/** Whether a user webhook asks for live events: `logs`, or `output` of an iterator (the default filter has output). */
export function wantsLiveWebhook(webhook: string | null, filter: readonly string[] | null, iterator: boolean): boolean {
  return !!webhook && (!!filter?.includes("logs") || (iterator && (filter ?? ["output"]).includes("output")));
}
