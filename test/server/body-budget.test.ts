// The --body-memory budget: large JSON requests take turns (first come, first served), small ones
// and uploads never wait, one request always runs even when it alone is over the budget.
import { describe, expect, it } from "bun:test";
import { BodyBudget, COST_FACTOR, UNCOUNTED_BYTES } from "../../server/http/transport/body-budget.ts";

const MB = 1024 * 1024;

function post(len: number | null, type = "application/json"): Request {
  const headers: Record<string, string> = { "content-type": type };
  if (len !== null) headers["content-length"] = String(len);
  return new Request("http://x/v1/predictions", { method: "POST", headers, body: len === null ? new ReadableStream() : "" });
}

describe("BodyBudget", () => {
  it("counts large JSON and text bodies by their size, and nothing for small ones, uploads and layers", () => {
    expect(BodyBudget.costOf(post(50 * MB), 100 * MB)).toBe(50 * MB * COST_FACTOR);
    expect(BodyBudget.costOf(post(50 * MB, "text/plain"), 100 * MB)).toBe(50 * MB * COST_FACTOR);
    expect(BodyBudget.costOf(post(UNCOUNTED_BYTES), 100 * MB)).toBe(0);
    expect(BodyBudget.costOf(post(50 * MB, "multipart/form-data; boundary=b"), 100 * MB)).toBe(0);
    expect(BodyBudget.costOf(post(50 * MB, "application/octet-stream"), 100 * MB)).toBe(0);
    // Undeclared (chunked): counted as the largest body accepted; declared oversize: as the limit.
    expect(BodyBudget.costOf(post(null), 100 * MB)).toBe(100 * MB * COST_FACTOR);
    expect(BodyBudget.costOf(post(500 * MB), 100 * MB)).toBe(100 * MB * COST_FACTOR);
    expect(BodyBudget.costOf(new Request("http://x/v1/models"), 100 * MB)).toBe(0);
  });

  it("runs no more at once than fits, in arrival order, and lets one over-budget request through alone", async () => {
    const budget = new BodyBudget(1000);
    const order: string[] = [];
    const gates = new Map<string, PromiseWithResolvers<void>>();
    let peak = 0;
    const job = (name: string, cost: number) => {
      const gate = Promise.withResolvers<void>();
      gates.set(name, gate);
      return budget.run(cost, async () => {
        order.push(name);
        peak = Math.max(peak, budget.used);
        await gate.promise;
      });
    };
    const all = [job("a", 600), job("big", 5000), job("b", 300), job("c", 100)];
    await Bun.sleep(1);
    // a runs; big waits (over the budget with a running), and b and c wait behind it (first come, first served).
    expect(order).toEqual(["a"]);
    expect(budget.queued).toBe(3);
    gates.get("a")!.resolve();
    await Bun.sleep(1);
    expect(order).toEqual(["a", "big"]); // alone, though over the budget
    gates.get("big")!.resolve();
    await Bun.sleep(1);
    expect(order).toEqual(["a", "big", "b", "c"]); // both fit together
    gates.get("b")!.resolve();
    gates.get("c")!.resolve();
    await Promise.all(all);
    expect(budget.used).toBe(0);
    expect(peak).toBe(5000);
    // Small requests never wait, even while the budget is taken.
    const hold = Promise.withResolvers<void>();
    const holding = budget.run(5000, () => hold.promise);
    let ran = false;
    await budget.run(0, () => void (ran = true));
    expect(ran).toBe(true);
    hold.resolve();
    await holding;
  });

  it("gives the share back when the handler throws", async () => {
    const budget = new BodyBudget(100);
    await expect(budget.run(50, () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(budget.used).toBe(0);
    expect(budget.queued).toBe(0);
  });
});
