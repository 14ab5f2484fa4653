// Cog's webhooks each carry the whole prediction so far: all its logs and, for an iterator, every
// item yielded. This turns that series of snapshots into what is new in each one.
import type { CogPrediction } from "./cog-container.ts";

export interface WebhookDelta {
  /** log text not seen in an earlier snapshot ("" when none) */
  logs: string;
  /** iterator items not seen before (empty when none, or when the output is not a list) */
  outputs: unknown[];
}

export class WebhookMerge {
  constructor(
    /** characters of the container's logs already taken (a re-attached prediction starts with what was stored) */
    private logsSeen = 0,
    /** iterator items already taken */
    private outputsSeen = 0,
    /**
     * whether the model yields (an iterator): only then are list outputs in progress webhooks items.
     * coglet sends even a plain return first as an `output` webhook `[value]`; the terminal webhook
     * carries the real shape.
     */
    private iterator = true,
  ) {}

  get logChars(): number {
    return this.logsSeen;
  }

  get outputCount(): number {
    return this.outputsSeen;
  }

  next(snap: CogPrediction): WebhookDelta {
    const raw = typeof snap.logs === "string" ? snap.logs : "";
    let logs = "";
    if (raw.length > this.logsSeen) {
      logs = raw.slice(this.logsSeen);
      this.logsSeen = raw.length;
    }
    let outputs: unknown[] = [];
    if (this.iterator && Array.isArray(snap.output) && snap.output.length > this.outputsSeen) {
      outputs = snap.output.slice(this.outputsSeen);
      this.outputsSeen = snap.output.length;
    }
    return { logs, outputs };
  }
}
