// The page's prediction state: polled objects, SSE output and logs, cancel, and what the page shows.
import { describe, expect, test } from "bun:test";
import type { PredictionJson } from "../../web/lib/api.ts";
import { initialRun, isDone, liveLogs, liveOutput, reduce, type RunAction, type RunState } from "../../web/lib/run-state.ts";

const p = (status: PredictionJson["status"], extra: Partial<PredictionJson> = {}): PredictionJson => ({
  id: "abc",
  model: "a/b",
  version: "v",
  status,
  input: {},
  created_at: "2026-01-01T00:00:00.000Z",
  urls: { get: "/v1/predictions/abc", cancel: "/v1/predictions/abc/cancel", stream: "/v1/streams/t" },
  ...extra,
});
const run = (s: RunState, ...actions: RunAction[]) => actions.reduce(reduce, s);

describe("run state", () => {
  test("stream output grows token by token while running, then the final object wins", () => {
    let s = run(initialRun(p("starting")), { type: "stream-open" }, { type: "loaded", prediction: p("processing") });
    s = run(s, { type: "output", data: "Hel" }, { type: "output", data: "lo" });
    expect(liveOutput(s)).toEqual(["Hel", "lo"]);
    expect(isDone(s)).toBe(false);
    s = run(s, { type: "loaded", prediction: p("succeeded", { output: ["Hel", "lo", "!"] }) });
    expect(isDone(s)).toBe(true);
    expect(liveOutput(s)).toEqual(["Hel", "lo", "!"]);
    // Late stream events after the end change nothing.
    expect(run(s, { type: "output", data: "x" })).toBe(s);
  });

  test("a reconnecting stream replays from the start, so nothing is doubled", () => {
    let s = run(initialRun(p("processing")), { type: "stream-open" }, { type: "output", data: "a" }, { type: "logs", data: "one" });
    s = run(s, { type: "stream-open" }, { type: "output", data: "a" }, { type: "output", data: "b" }, { type: "logs", data: "one" });
    expect(liveOutput(s)).toEqual(["a", "b"]);
    expect(liveLogs(s)).toBe("one");
  });

  test("logs: the stream while running, the polled object when it knows more", () => {
    let s = run(initialRun(p("processing", { logs: "" })), { type: "logs", data: "l1" }, { type: "logs", data: "l2" });
    expect(liveLogs(s)).toBe("l1\nl2");
    s = run(s, { type: "loaded", prediction: p("succeeded", { logs: "l1\nl2\nl3\n" }) });
    expect(liveLogs(s)).toBe("l1\nl2\nl3\n");
  });

  test("a slow poll never takes a finished prediction back to running", () => {
    const done = run(initialRun(p("processing")), { type: "loaded", prediction: p("canceled") });
    expect(run(done, { type: "loaded", prediction: p("processing") }).prediction!.status).toBe("canceled");
  });

  test("cancel: canceling until the server confirms; a failed cancel keeps the real state and says why", () => {
    let s = run(initialRun(p("processing")), { type: "cancel-requested" });
    expect(s.canceling).toBe(true);
    s = run(s, { type: "loaded", prediction: p("processing") });
    expect(s.canceling).toBe(true);
    const failed = run(s, { type: "cancel-failed", message: "boom" });
    expect(failed).toMatchObject({ canceling: false, problem: "Couldn't cancel: boom" });
    expect(failed.prediction!.status).toBe("processing");
    s = run(s, { type: "loaded", prediction: p("canceled") });
    expect(s.canceling).toBe(false);
    expect(run(s, { type: "cancel-requested" }).canceling).toBe(false);
  });

  test("a network problem is shown and cleared by the next good poll", () => {
    let s = run(initialRun(p("processing")), { type: "problem", message: "offline" });
    expect(s.problem).toBe("offline");
    s = run(s, { type: "loaded", prediction: p("processing") });
    expect(s.problem).toBeNull();
  });
});
