// What a stream subscriber should see next: turns successive states of a prediction into the
// SSE events Replicate's clients parse (output, logs, error, done). Pure; one cursor per
// subscriber, so a late subscriber replays from the start.
import { type PredictionRecord, TERMINAL } from "./store.ts";

export type StreamEventName = "output" | "logs" | "error" | "done";
export interface StreamEvent {
  event: StreamEventName;
  data: string;
}

/** Strings go out as they are; anything else as JSON (the clients hand `data` over as text). */
const encode = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

export class StreamCursor {
  private outputsSent = 0;
  private logsSent = 0;
  done = false;

  /** Events that bring this subscriber from what it has seen to `p`'s current state. */
  next(p: PredictionRecord): StreamEvent[] {
    if (this.done) return [];
    const out: StreamEvent[] = [];
    const terminal = TERMINAL.has(p.status);
    // Iterator outputs grow as a list while running; other outputs exist only at the end.
    if (Array.isArray(p.output)) {
      for (; this.outputsSent < p.output.length; this.outputsSent++) out.push({ event: "output", data: encode(p.output[this.outputsSent]) });
    } else if (terminal && p.output !== null && p.output !== undefined && this.outputsSent === 0) {
      out.push({ event: "output", data: encode(p.output) });
      this.outputsSent = 1;
    }
    if (p.logs.length > this.logsSent) {
      const delta = p.logs.slice(this.logsSent);
      this.logsSent = p.logs.length;
      // One event per printed line, as Replicate sends them.
      const lines = delta.split("\n");
      if (lines[lines.length - 1] === "") lines.pop();
      for (const line of lines) out.push({ event: "logs", data: line });
    }
    if (terminal) {
      if (p.status === "failed") out.push({ event: "error", data: JSON.stringify({ detail: p.error ?? "Prediction failed" }) });
      out.push({ event: "done", data: p.status === "succeeded" ? "{}" : JSON.stringify({ reason: p.status === "canceled" ? "canceled" : "error" }) });
      this.done = true;
    }
    return out;
  }
}
