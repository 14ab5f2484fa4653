// IdleMemory gives memory back once per quiet period after work, never while requests keep coming.
import { describe, expect, it } from "bun:test";
import { IdleMemory } from "../../server/http/transport/idle-memory.ts";

describe("IdleMemory", () => {
  it("shrinks once after start-up, then once after each burst that is followed by a quiet interval", () => {
    let shrinks = 0;
    const idle = new IdleMemory(60_000, () => shrinks++);
    try {
      idle.tick(); // the first quiet interval after start
      expect(shrinks).toBe(1);
      idle.tick(); // still quiet: nothing new to give back
      expect(shrinks).toBe(1);
      idle.touch();
      idle.tick(); // requests during this interval: not quiet
      expect(shrinks).toBe(1);
      idle.touch();
      idle.tick(); // busy again
      expect(shrinks).toBe(1);
      idle.tick(); // quiet after the burst
      expect(shrinks).toBe(2);
      idle.tick();
      expect(shrinks).toBe(2);
    } finally {
      idle.close();
    }
  });
});
