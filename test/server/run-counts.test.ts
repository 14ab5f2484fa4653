// run_count comes from a table triggers keep exact: it must always equal COUNT(*) of the model's
// predictions, through inserts, deletes (retention) and a change of model.
import { describe, expect, it } from "bun:test";
import { openDatabase } from "../../server/db/database.ts";
import { PredictionStore, type PredictionRecord } from "../../server/predictions/store.ts";

const rec = (id: string, model: string): PredictionRecord => ({
  id, model, versionId: "v", input: {}, output: null, logs: "", error: null, status: "succeeded", source: "api",
  createdAt: new Date().toISOString(), startedAt: null, completedAt: null, metrics: {}, webhook: null, webhookEventsFilter: null,
  deployment: null, deadline: null, instanceId: null, streamToken: `s${id}`, origin: null, fileOutput: false,
});

describe("model run counts", () => {
  it("follow inserts and deletes exactly", () => {
    const db = openDatabase(":memory:");
    const store = new PredictionStore(db);
    for (let i = 0; i < 30; i++) store.insert(rec(`p${i}`, i % 3 === 0 ? "a/x" : "b/y"));
    db.query("DELETE FROM predictions WHERE id IN ('p0', 'p1', 'p2')").run();
    const truth = (m: string) => (db.query("SELECT COUNT(*) AS n FROM predictions WHERE model = ?").get(m) as { n: number }).n;
    expect(store.countByModel("a/x")).toBe(truth("a/x"));
    expect(store.countByModel("b/y")).toBe(truth("b/y"));
    expect(store.countByModel("a/x")).toBe(9);
    expect(store.countByModel("nobody/none")).toBe(0);
    expect(store.countsByModel(["a/x", "b/y", "nobody/none"])).toEqual(new Map([["a/x", truth("a/x")], ["b/y", truth("b/y")]]));
    db.query("UPDATE predictions SET model = 'a/x' WHERE id = 'p4'").run();
    expect(store.countByModel("a/x")).toBe(truth("a/x"));
    expect(store.countByModel("b/y")).toBe(truth("b/y"));
  });

});
