// Log lines: readable key=value by default, one JSON object a line with --log-format json; secrets redacted in both.
import { describe, expect, it } from "bun:test";
import { loadConfig } from "../../server/config.ts";
import { createLogger } from "../../server/log.ts";

describe("log lines", () => {
  it("are readable by default: LEVEL, message, then key=value with quoting where needed", () => {
    const lines: string[] = [];
    createLogger("info", (l) => lines.push(l)).warn("prediction failed", { prediction: "abc123", error: 'exit "137"', token: "mh_x" });
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z WARN  prediction failed prediction=abc123 error="exit \\"137\\"" token=\[redacted\]$/);
  });

  it("are JSON objects with --log-format json", () => {
    const lines: string[] = [];
    createLogger("debug", (l) => lines.push(l), "json").debug("booted", { prediction: "p1", ms: 12, authorization: "Bearer x" });
    const o = JSON.parse(lines[0]);
    expect(o).toMatchObject({ level: "debug", msg: "booted", prediction: "p1", ms: 12, authorization: "[redacted]" });
    expect(Number.isNaN(Date.parse(o.time))).toBe(false);
  });

  it("--log-format takes text or json only", () => {
    expect(loadConfig({}, { "log-format": "json" }).logFormat).toBe("json");
    expect(() => loadConfig({}, { "log-format": "xml" })).toThrow("--log-format must be text or json");
  });
});
