// One prediction as the page shows it: the server's object (polled; SSE carries no status) plus what
// its stream (urls.stream) has delivered so far. `reduce` is pure, so the transitions are unit-tested.
import { type PredictionJson, TERMINAL } from "./api.ts";

export interface RunState {
  prediction: PredictionJson | null;
  /** Output events so far (iterator items; a single output arrives once at the end). */
  chunks: string[];
  /** Log lines from the stream. */
  logLines: string[];
  /** Whether the stream has delivered anything since it (re)connected. */
  streaming: boolean;
  canceling: boolean;
  /** A load or cancel problem; the prediction keeps its real state. */
  problem: string | null;
}

export type RunAction =
  | { type: "loaded"; prediction: PredictionJson }
  | { type: "stream-open" }
  | { type: "output"; data: string }
  | { type: "logs"; data: string }
  | { type: "cancel-requested" }
  | { type: "cancel-failed"; message: string }
  | { type: "problem"; message: string };

export const initialRun = (prediction: PredictionJson | null = null): RunState => ({
  prediction,
  chunks: [],
  logLines: [],
  streaming: false,
  canceling: false,
  problem: null,
});

export const isDone = (s: RunState) => !!s.prediction && TERMINAL.has(s.prediction.status);

export function reduce(s: RunState, a: RunAction): RunState {
  switch (a.type) {
    case "loaded": {
      // A slow poll must not take a finished prediction back to running.
      if (isDone(s) && !TERMINAL.has(a.prediction.status) && s.prediction?.id === a.prediction.id) return s;
      const done = TERMINAL.has(a.prediction.status);
      return { ...s, prediction: a.prediction, canceling: s.canceling && !done, problem: null };
    }
    case "stream-open":
      // The server replays the whole stream to every new connection: start over.
      return { ...s, chunks: [], logLines: [], streaming: true };
    case "output":
      return isDone(s) ? s : { ...s, chunks: [...s.chunks, a.data] };
    case "logs":
      return isDone(s) ? s : { ...s, logLines: [...s.logLines, a.data] };
    case "cancel-requested":
      return isDone(s) ? s : { ...s, canceling: true, problem: null };
    case "cancel-failed":
      return { ...s, canceling: false, problem: `Couldn't cancel: ${a.message}` };
    case "problem":
      return { ...s, problem: a.message };
  }
}

/** The output to show: the final value once done, else what the stream has delivered. */
export function liveOutput(s: RunState): unknown {
  const p = s.prediction;
  if (!p) return null;
  if (TERMINAL.has(p.status) || s.chunks.length === 0) return p.output ?? (s.chunks.length ? s.chunks : null);
  return s.chunks;
}

export function liveLogs(s: RunState): string {
  const polled = s.prediction?.logs ?? "";
  const streamed = s.logLines.join("\n");
  // Whichever knows more: the stream is ahead while running, the final object once done.
  return streamed.length > polled.length ? streamed : polled;
}
