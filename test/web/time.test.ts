// Relative times and durations as the UI prints them (history rows, timings, the running timer).
import { expect, test } from "bun:test";
import { ago, between, duration } from "../../web/lib/time.ts";

test("durations: milliseconds for a fast run (never 0.0 s), tenths under 10 s, then s, min and h", () => {
  expect(duration(0)).toBe("0 ms");
  expect(duration(42.4)).toBe("42 ms");
  expect(duration(99)).toBe("99 ms");
  expect(duration(100)).toBe("0.1 s");
  expect(duration(4_140)).toBe("4.1 s");
  expect(duration(12_600)).toBe("13 s");
  expect(duration(125_000)).toBe("2 min 5 s");
  expect(duration(3 * 3600_000 + 7 * 60_000)).toBe("3 h 7 min");
  expect(duration(-5)).toBe("0 ms");
  expect(duration(null)).toBe("—");
  expect(duration(Number.NaN)).toBe("—");
});

test("relative times and the span between two timestamps", () => {
  const now = Date.parse("2026-01-10T12:00:00Z");
  expect(ago("2026-01-10T11:59:58Z", now)).toBe("just now");
  expect(ago("2026-01-10T11:59:15Z", now)).toBe("45 s ago");
  expect(ago("2026-01-10T11:57:00Z", now)).toBe("3 min ago");
  expect(ago("2026-01-10T09:00:00Z", now)).toBe("3 h ago");
  expect(ago("2026-01-08T12:00:00Z", now)).toBe("2 d ago");
  expect(ago(null, now)).toBe("—");
  expect(between("2026-01-10T12:00:00.000Z", "2026-01-10T12:00:01.500Z")).toBe(1500);
  expect(between("2026-01-10T12:00:00Z", null)).toBeNull();
});
