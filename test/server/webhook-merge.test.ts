// Cog's webhooks carry the whole prediction so far; WebhookMerge yields only what is new in each.
import { describe, expect, it } from "bun:test";
import { WebhookMerge } from "../../server/cog/webhook-merge.ts";

describe("WebhookMerge", () => {
  it("turns cumulative logs and iterator output into deltas, and ignores a snapshot that repeats or lags", () => {
    const m = new WebhookMerge();
    expect(m.next({ status: "processing", logs: "", output: null })).toEqual({ logs: "", outputs: [] });
    expect(m.next({ status: "processing", logs: "a\n", output: ["The"] })).toEqual({ logs: "a\n", outputs: ["The"] });
    expect(m.next({ status: "processing", logs: "a\nb\n", output: ["The", " quick", " fox"] })).toEqual({ logs: "b\n", outputs: [" quick", " fox"] });
    // The same snapshot again, or an older one arriving late: nothing new.
    expect(m.next({ status: "processing", logs: "a\nb\n", output: ["The", " quick", " fox"] })).toEqual({ logs: "", outputs: [] });
    expect(m.next({ status: "processing", logs: "a\n", output: ["The"] })).toEqual({ logs: "", outputs: [] });
    expect([m.logChars, m.outputCount]).toEqual([4, 3]);
  });

  it("starts from what a re-attached prediction already stored", () => {
    const m = new WebhookMerge(2, 1);
    expect(m.next({ status: "processing", logs: "a\nb\n", output: ["x", "y"] })).toEqual({ logs: "b\n", outputs: ["y"] });
  });

  it("takes no items from a plain (non-list) output", () => {
    expect(new WebhookMerge().next({ status: "processing", logs: null, output: "done" })).toEqual({ logs: "", outputs: [] });
  });
});
