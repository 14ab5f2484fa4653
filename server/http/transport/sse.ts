// Server-Sent Events on the wire, as Replicate's clients parse them (docs/replicate-api.md, Streams):
// `: hi` first, then `event:` + `id:` + one `data:` line per line of data, keep-alive comments,
// and the connection closed after `done`.
import type { StreamHandle } from "../../predictions/service.ts";
import type { StreamEvent } from "../../predictions/stream.ts";

export const KEEPALIVE_MS = 15_000;

/** One event. Multi-line data becomes several `data:` lines; both clients join them with "\n". */
export function formatEvent(e: StreamEvent, id: string): string {
  const data = e.data.split(/\r\n|\r|\n/).map((l) => `data: ${l}`).join("\n");
  return `event: ${e.event}\nid: ${id}\n${data}\n\n`;
}

export const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-store",
  // Proxies such as nginx would otherwise buffer the stream.
  "x-accel-buffering": "no",
};

/**
 * The stream for one subscriber: the replay, then live events until `done`. Ids are
 * `<unix-seconds>:<seq>` like Replicate's; Python's decoder drops events without one.
 */
export function sseResponse(handle: StreamHandle, keepAliveMs = KEEPALIVE_MS): Response {
  const enc = new TextEncoder();
  // The prediction's creation time, not the connection's: every subscriber numbers the same
  // replay the same way.
  const epoch = Math.floor(Date.parse(handle.createdAt) / 1000);
  let seq = 0;
  let cleanup = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        cleanup();
        try {
          controller.close();
        } catch {}
      };
      const send = (events: StreamEvent[]) => {
        if (closed) return;
        let text = "";
        for (const e of events) text += formatEvent(e, `${epoch}:${seq++}`);
        controller.enqueue(enc.encode(text));
        if (events.some((e) => e.event === "done")) close();
      };
      controller.enqueue(enc.encode(": hi\n\n"));
      send(handle.replay);
      if (handle.done || closed) return close();
      const keepAlive = setInterval(() => {
        if (!closed) controller.enqueue(enc.encode(": keepalive\n\n"));
      }, keepAliveMs);
      let unsub: (() => void) | null = null;
      cleanup = () => {
        clearInterval(keepAlive);
        unsub?.();
      };
      unsub = handle.subscribe((events) => send(events));
      if (closed) unsub();
    },
    cancel() {
      // The client went away.
      cleanup();
    },
  });
  return new Response(body, { status: 200, headers: SSE_HEADERS });
}
