// --retention-days: finished predictions older than it are deleted with their files (they 404 over
// HTTP afterwards); running ones and newer ones stay; 0 keeps everything; a failing file hook keeps
// the prediction for the next sweep.
import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { loadConfig } from "../../server/config.ts";
import { silentLogger } from "../../server/log.ts";
import { Retention } from "../../server/predictions/retention.ts";
import { type TestApp, testApp } from "../helpers/test-app.ts";

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.parse("2026-06-01T12:00:00.000Z");
const ago = (days: number) => new Date(NOW - days * DAY).toISOString();

let h: TestApp;
beforeEach(() => {
  h = testApp();
});
afterEach(() => h.close());

function retention(days: number, deleteFiles?: (id: string) => void) {
  return new Retention({ db: h.db, logger: silentLogger, days, now: () => NOW, deleteFiles });
}

describe("retention", () => {
  const cases: [string, number, string, number, boolean][] = [
    ["succeeded 31 days ago", 30, "succeeded", 31, false],
    ["failed 31 days ago", 30, "failed", 31, false],
    ["canceled 31 days ago", 30, "canceled", 31, false],
    ["succeeded 29 days ago", 30, "succeeded", 29, true],
    ["still processing, 31 days old", 30, "processing", 31, true],
    ["still starting, 31 days old", 30, "starting", 31, true],
    ["succeeded a year ago, retention 0 (forever)", 0, "succeeded", 365, true],
    ["succeeded 2 days ago, retention 1", 1, "succeeded", 2, false],
    ["succeeded 6 hours ago, retention 0.5", 0.5, "succeeded", 0.25, true],
  ];
  for (const [what, days, status, age, kept] of cases)
    it(`${kept ? "keeps" : "deletes"} a prediction ${what}`, async () => {
      const p = h.addPrediction("acme/m", "v", { status: status as never, createdAt: ago(age) });
      const deletedFiles: string[] = [];
      const n = await retention(days, (id) => void deletedFiles.push(id)).sweep();
      expect(n).toBe(kept ? 0 : 1);
      expect(deletedFiles).toEqual(kept ? [] : [p.id]);
      const res = await h.req("GET", `/v1/predictions/${p.id}`);
      expect(res.status).toBe(kept ? 200 : 404);
    });

  it("deletes in batches until nothing old is left, and the output files with them", async () => {
    for (let i = 0; i < 1203; i++) h.addPrediction("acme/m", "v", { createdAt: ago(40) });
    const fresh = h.addPrediction("acme/m", "v", { createdAt: ago(1) });
    const files: string[] = [];
    expect(await retention(30, (id) => void files.push(id)).sweep()).toBe(1203);
    expect(files.length).toBe(1203);
    expect(h.store.list(10).map((p) => p.id)).toEqual([fresh.id]);
  });

  it("keeps a prediction whose files could not be deleted, and retries it next sweep", async () => {
    const p = h.addPrediction("acme/m", "v", { createdAt: ago(40) });
    const q = h.addPrediction("acme/m", "v", { createdAt: ago(40) });
    let broken = true;
    const r = retention(30, (id) => {
      if (broken && id === p.id) throw new Error("disk unhappy");
    });
    expect(await r.sweep()).toBe(1);
    expect(h.store.get(p.id)).not.toBeNull();
    expect(h.store.get(q.id)).toBeNull();
    broken = false;
    expect(await r.sweep()).toBe(1);
    expect(h.store.get(p.id)).toBeNull();
  });

  it("deletes a real output file through the files service hook", async () => {
    const p = h.addPrediction("acme/m", "v", { createdAt: ago(40) });
    const f = await h.deps.files.create({ kind: "output", name: "out.txt", contentType: "text/plain", body: new TextEncoder().encode("hi"), predictionId: p.id });
    await retention(30, (id) => void h.deps.files.deleteForPrediction(id)).sweep();
    expect(h.deps.files.byId(f.id)).toBeNull();
  });

  it("start() sweeps at once and stop() ends the timer; 0 days never starts one", async () => {
    h.addPrediction("acme/m", "v", { createdAt: ago(40) });
    const r = retention(30);
    r.start();
    await r.stop();
    expect(h.store.list(10)).toEqual([]);
    const forever = retention(0);
    forever.start();
    expect((forever as unknown as { timer: unknown }).timer).toBeNull();
  });

  it("--retention-days defaults to 30, takes fractions and refuses negatives", () => {
    expect(loadConfig({}).retentionDays).toBe(30);
    expect(loadConfig({ MODELHUB_RETENTION_DAYS: "0.5" }).retentionDays).toBe(0.5);
    expect(() => loadConfig({}, { "retention-days": "-1" })).toThrow(/--retention-days must be 0/);
  });
});
