// Load: 1,000 predictions from 50 clients at once against a live modelhub and a real container.
// Every one ends succeeded with its own answer, no request gets a 5xx, and the list shows each id
// exactly once (keyset pagination under concurrent inserts).
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { dockerTests, startLiveServer, type LiveServer } from "../helpers/live-server.ts";

const TOTAL = 1_000;
const CLIENTS = 50;

describe.skipIf(!dockerTests)("load: 1,000 predictions from 50 clients", () => {
  let s: LiveServer;
  beforeAll(async () => {
    s = await startLiveServer({ "max-queue": "100" });
    await s.addModel("modelhub-test/hello:latest", "load/hello");
  }, 60_000);
  afterAll(async () => {
    await s?.[Symbol.asyncDispose]();
  });

  it("answers every one, terminal and unique, with no 5xx, and lists each once", async () => {
    const ids = new Set<string>();
    const statuses = new Map<number, number>();
    const wrong: string[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < TOTAL) {
          const n = next++;
          const r = await s.api("POST", "/v1/predictions", { version: "load/hello", input: { text: `n${n}` } }, { Prefer: "wait" });
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          if (r.status !== 201 || r.body.status !== "succeeded" || r.body.output !== `hello n${n}`) wrong.push(`#${n}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
          else ids.add(r.body.id);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    expect(wrong.slice(0, 10)).toEqual([]);
    expect([...statuses.keys()].filter((c) => c >= 500)).toEqual([]);
    expect(ids.size).toBe(TOTAL);

    // Walk the whole list: each id once, all terminal.
    const listed = new Map<string, number>();
    let url: string | null = `/v1/predictions`;
    while (url) {
      const page: { status: number; body: { next: string | null; results: { id: string; status: string }[] } } = await s.api("GET", url);
      expect(page.status).toBe(200);
      for (const p of page.body.results) {
        listed.set(p.id, (listed.get(p.id) ?? 0) + 1);
        expect(["succeeded", "failed", "canceled"]).toContain(p.status);
      }
      url = page.body.next ? page.body.next.replace(s.url, "") : null;
    }
    expect([...listed.values()].filter((c) => c !== 1)).toEqual([]);
    expect([...ids].filter((id) => !listed.has(id))).toEqual([]);
    console.log(`load: ${TOTAL} predictions from ${CLIENTS} clients in ${seconds.toFixed(1)} s (${(TOTAL / seconds).toFixed(0)}/s), statuses ${JSON.stringify(Object.fromEntries(statuses))}, listed ${listed.size}`);
  }, 300_000);
});
