// GET /v1/predictions pages newest first with absolute `next` and `previous` cursors: following
// next to the end and previous back again visits every prediction once, in order, both ways.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { cogLabels, loadSchema } from "../helpers/cog-schema-fixtures.ts";
import { ORIGIN, testApp, type TestApp } from "../helpers/test-app.ts";

interface Page { next: string | null; previous: string | null; results: { id: string }[] }

describe("prediction list pages", () => {
  let h: TestApp;
  const ids: string[] = [];
  beforeAll(async () => {
    h = testApp();
    h.runtime.addImage("acme/hello:latest", cogLabels(loadSchema("hello-world-cog-0.13.6-pydantic1.json")));
    const v = (await (await h.req("POST", "/v1/models/acme/hello/versions", { image: "acme/hello:latest" })).json()) as { id: string };
    // 250 predictions, some sharing a timestamp (the id breaks the tie)
    for (let i = 0; i < 250; i++) ids.push(h.addPrediction("acme/hello", v.id, { createdAt: new Date(Date.UTC(2026, 10, 1, 0, 0, Math.floor(i / 3))).toISOString() }).id);
    ids.reverse(); // newest first
  });
  afterAll(() => h.close());

  const get = async (url: string) => {
    expect(url.startsWith(`${ORIGIN}/v1/predictions`)).toBe(true); // absolute, on the public origin
    return (await (await h.req("GET", url.slice(ORIGIN.length))).json()) as Page;
  };

  it("walks forward with next and back with previous", async () => {
    const forward: Page[] = [await get(`${ORIGIN}/v1/predictions`)];
    expect(forward[0].previous).toBeNull();
    while (forward[forward.length - 1].next) forward.push(await get(forward[forward.length - 1].next!));
    expect(forward.map((p) => p.results.length)).toEqual([100, 100, 50]);
    expect(forward.flatMap((p) => p.results.map((r) => r.id))).toEqual(ids);

    const back: Page[] = [forward[2]];
    while (back[back.length - 1].previous) back.push(await get(back[back.length - 1].previous!));
    expect(back.length).toBe(3);
    expect(back.map((p) => p.results.map((r) => r.id))).toEqual([2, 1, 0].map((i) => forward[i].results.map((r) => r.id)));
    expect(back[2].previous).toBeNull();
    expect(back[2].next).not.toBeNull(); // a page reached backwards still links forward
  });
});
