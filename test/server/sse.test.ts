// The SSE wire format (docs/replicate-api.md, Streams) and what a subscriber sees of a prediction over time:
// replay from the start, iterator outputs as they grow, one `logs` event per line, error/done last.
// The JS client's own parser reads the stream back.
import { describe, expect, it } from "bun:test";
// @ts-expect-error the JS client's internal module has no types
import { createReadableStream } from "replicate/lib/stream.js";
import { formatEvent, sseResponse } from "../../server/http/transport/sse.ts";
import type { StreamHandle } from "../../server/predictions/service.ts";
import { type StreamEvent, StreamCursor } from "../../server/predictions/stream.ts";
import type { PredictionRecord } from "../../server/predictions/store.ts";

function rec(p: Partial<PredictionRecord>): PredictionRecord {
  return {
    id: "p1", model: "a/b", versionId: "v", input: {}, output: null, logs: "", error: null, status: "processing", source: "api",
    createdAt: "", startedAt: null, completedAt: null, metrics: {}, webhook: null, webhookEventsFilter: null, deployment: null,
    deadline: null, instanceId: null, streamToken: "t", origin: null, fileOutput: false, ...p,
  };
}

describe("SSE format", () => {
  it("writes event, id and one data line per line", () => {
    expect(formatEvent({ event: "output", data: "line one\nline two" }, "17:1")).toBe("event: output\nid: 17:1\ndata: line one\ndata: line two\n\n");
    expect(formatEvent({ event: "done", data: "{}" }, "17:2")).toBe("event: done\nid: 17:2\ndata: {}\n\n");
    expect(formatEvent({ event: "output", data: "" }, "1:0")).toBe("event: output\nid: 1:0\ndata: \n\n");
  });
});

describe("stream cursor", () => {
  it("replays an iterator so far, then only what is new, then done", () => {
    const c = new StreamCursor();
    expect(c.next(rec({ output: ["The", " quick"], logs: "a\nb\n" }))).toEqual([
      { event: "output", data: "The" },
      { event: "output", data: " quick" },
      { event: "logs", data: "a" },
      { event: "logs", data: "b" },
    ]);
    expect(c.next(rec({ output: ["The", " quick"], logs: "a\nb\n" }))).toEqual([]);
    expect(c.next(rec({ output: ["The", " quick", " fox"], logs: "a\nb\nc\n", status: "succeeded" }))).toEqual([
      { event: "output", data: " fox" },
      { event: "logs", data: "c" },
      { event: "done", data: "{}" },
    ]);
    expect(c.done).toBe(true);
    expect(c.next(rec({ status: "succeeded" }))).toEqual([]);
  });

  it("sends a plain output at the end, JSON-encoding what is not a string", () => {
    const c = new StreamCursor();
    expect(c.next(rec({}))).toEqual([]);
    expect(c.next(rec({ status: "succeeded", output: { a: 1 } }))).toEqual([
      { event: "output", data: '{"a":1}' },
      { event: "done", data: "{}" },
    ]);
  });

  it("ends a failed prediction with error then done, and a canceled one with done only", () => {
    expect(new StreamCursor().next(rec({ status: "failed", error: "boom" }))).toEqual([
      { event: "error", data: '{"detail":"boom"}' },
      { event: "done", data: '{"reason":"error"}' },
    ]);
    expect(new StreamCursor().next(rec({ status: "canceled", output: ["x"] }))).toEqual([
      { event: "output", data: "x" },
      { event: "done", data: '{"reason":"canceled"}' },
    ]);
  });
});

function fakeHandle(replay: StreamEvent[], live: StreamEvent[][]): StreamHandle & { unsubscribed: boolean } {
  const h = {
    replay,
    done: replay.some((e) => e.event === "done"),
    fileOutput: false,
    createdAt: "2026-11-26T10:00:00.000Z",
    unsubscribed: false,
    subscribe(fn: (e: StreamEvent[]) => void) {
      let i = 0;
      const t = setInterval(() => {
        if (i < live.length) fn(live[i++]);
      }, 5);
      return () => {
        clearInterval(t);
        h.unsubscribed = true;
      };
    },
  };
  return h;
}

describe("sseResponse", () => {
  it("opens with `: hi`, sends the replay and live events with ids, and closes after done", async () => {
    const h = fakeHandle([{ event: "output", data: "a" }], [[{ event: "logs", data: "x\ny" }], [{ event: "output", data: "b" }, { event: "done", data: "{}" }]]);
    const res = sseResponse(h);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const text = await res.text(); // ends only because the stream closes after done
    expect(text.startsWith(": hi\n\n")).toBe(true);
    const events = text.split("\n\n").filter((b) => b.startsWith("event:"));
    expect(events.map((b) => b.split("\n")[0])).toEqual(["event: output", "event: logs", "event: output", "event: done"]);
    for (const b of events) expect(b.split("\n")[1]).toMatch(/^id: \d+:\d+$/);
    expect(events[1]).toContain("data: x\ndata: y");
    expect(h.unsubscribed).toBe(true);
  });

  it("numbers events from the prediction's creation, the same for every subscriber", async () => {
    const ids = async () => {
      const text = await sseResponse(fakeHandle([{ event: "output", data: "a" }, { event: "done", data: "{}" }], [])).text();
      return text.split("\n").filter((l) => l.startsWith("id: "));
    };
    const first = await ids();
    await Bun.sleep(1100); // a later second would change ids based on the connection time
    expect(await ids()).toEqual(first);
    expect(first).toEqual([`id: ${Date.parse("2026-11-26T10:00:00.000Z") / 1000}:0`, `id: ${Date.parse("2026-11-26T10:00:00.000Z") / 1000}:1`]);
  });

  it("sends keep-alive comments while nothing happens", async () => {
    const h = fakeHandle([], []);
    const res = sseResponse(h, 10);
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes(": keepalive")) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(h.unsubscribed).toBe(true);
  });

  it("is parsed by the official JS client: every event with its id, output chunks as text", async () => {
    const h = fakeHandle([{ event: "output", data: "Once" }], [[{ event: "output", data: " upon\na time" }], [{ event: "logs", data: "seed 42" }, { event: "done", data: "{}" }]]);
    const stream = createReadableStream({ url: "http://x/v1/streams/t", fetch: async () => sseResponse(h) });
    const seen: { event: string; data: string; id: string }[] = [];
    for await (const e of stream) seen.push({ event: e.event, data: e.data, id: e.id });
    expect(seen.map((e) => [e.event, e.data])).toEqual([
      ["output", "Once"],
      ["output", " upon\na time"],
      ["logs", "seed 42"],
      ["done", "{}"],
    ]);
    expect(seen.every((e) => /^\d+:\d+$/.test(e.id))).toBe(true);
  });
});
