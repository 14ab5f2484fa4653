// Small prediction rules: Cancel-After durations, the sync/async path choice, the log cap.
import { describe, expect, it } from "bun:test";
import { AppError } from "../../server/errors.ts";
import { parseCancelAfter } from "../../server/predictions/cancel-after.ts";
import { appendCapped, finalCapped, TRUNCATED_MARKER } from "../../server/predictions/log-cap.ts";
import { choosePath, type PathFacts } from "../../server/predictions/path-choice.ts";

describe("Cancel-After", () => {
  it("reads Go-style durations and bare seconds", () => {
    expect(parseCancelAfter(null)).toBeNull();
    expect(parseCancelAfter("")).toBeNull();
    expect(parseCancelAfter("90s")).toBe(90_000);
    expect(parseCancelAfter("1m")).toBe(60_000);
    expect(parseCancelAfter("1h30m")).toBe(5_400_000);
    expect(parseCancelAfter("1500ms")).toBe(1500);
    expect(parseCancelAfter("2.5s")).toBe(2500);
    expect(parseCancelAfter("45")).toBe(45_000);
  });

  it("answers 422 naming the header for anything else", () => {
    for (const bad of ["soon", "10x", "-5s", "500ms", "0s", "1m junk", "200h"]) {
      let err: unknown;
      try {
        parseCancelAfter(bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).status).toBe(422);
      expect((err as AppError).extra.fields?.[0].field).toBe("Cancel-After");
    }
  });
});

describe("path choice", () => {
  const waiting: PathFacts = { asyncCapable: true, iterator: false, clientWaits: true, streamSubscribers: 0, liveWebhook: false, typicalPredictMs: 5 };
  it("takes the sync fast path only for a waiting client of a quick, non-iterator model nobody watches", () => {
    expect(choosePath(waiting).path).toBe("sync");
    expect(choosePath({ ...waiting, typicalPredictMs: null }).path).toBe("sync");
    expect(choosePath({ ...waiting, iterator: true }).path).toBe("async");
    expect(choosePath({ ...waiting, clientWaits: false }).path).toBe("async");
    expect(choosePath({ ...waiting, streamSubscribers: 1 }).path).toBe("async");
    expect(choosePath({ ...waiting, liveWebhook: true }).path).toBe("async");
    expect(choosePath({ ...waiting, typicalPredictMs: 5000 }).path).toBe("async");
  });

  it("never goes async without a callback listener", () => {
    expect(choosePath({ ...waiting, asyncCapable: false, iterator: true, clientWaits: false }).path).toBe("sync");
  });
});

describe("log cap", () => {
  it("appends up to the cap, then one marker, then nothing", () => {
    let logs = appendCapped("", "abc", 10);
    logs = appendCapped(logs, "defgh", 10);
    expect(logs).toBe("abcdefgh");
    logs = appendCapped(logs, "ijklmn", 10);
    expect(logs).toBe("abcdefghij" + TRUNCATED_MARKER);
    expect(appendCapped(logs, "more", 10)).toBe(logs);
  });

  it("keeps the head and, at the end, the last lines; always extending what was already shown", () => {
    const raw = Array.from({ length: 200 }, (_, i) => `line ${i}\n`).join("");
    const live = appendCapped("", raw.slice(0, 500), 100);
    const final = finalCapped(live, raw, 500, 100);
    expect(final.startsWith(live)).toBe(true);
    expect(final.endsWith("line 199\n")).toBe(true);
    expect(finalCapped("", "short", 0, 100)).toBe("short");
  });
});
