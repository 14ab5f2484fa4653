import { describe, expect, it } from "bun:test";
import { ByteProgress, formatBytes, formatEta, PullDisplay } from "../../cli/progress.ts";

const capture = (tty: boolean, columns?: number) => {
  const out: string[] = [];
  return { out, term: { write: (s: string) => out.push(s), tty, columns } };
};

describe("progress displays", () => {
  it("formats sizes and times", () => {
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(12_345_678)).toBe("12.3 MB");
    expect(formatEta(75)).toBe("1m15s");
    expect(formatEta(Infinity)).toBe("--");
  });

  it("plain output: one line per layer status change, reused layers left out of the total", () => {
    const { out, term } = capture(false);
    const d = new PullDisplay(term);
    d.update({ id: "v1", status: "Pulling from acme/x" });
    d.update({ id: "aaaaaaaaaaaa", status: "Already exists" });
    d.update({ id: "bbbbbbbbbbbb", status: "Downloading", current: 1000, total: 4000 });
    d.update({ id: "bbbbbbbbbbbb", status: "Downloading", current: 2000, total: 4000 });
    d.update({ id: "bbbbbbbbbbbb", status: "Download complete" });
    d.finish();
    expect(out.join("")).toBe(
      "v1: Pulling from acme/x\naaaaaaaaaaaa: Already exists\nbbbbbbbbbbbb: Downloading\nbbbbbbbbbbbb: Download complete\n" + out.at(-1),
    );
    expect(out.at(-1)).toStartWith("Total: 4.0 kB / 4.0 kB");
    expect(d.totals()).toEqual({ current: 4000, total: 4000 });
  });

  it("on a terminal, redraws: moves up over the lines it drew, clears each, cuts them to the width", () => {
    const { out, term } = capture(true, 40);
    const d = new PullDisplay(term);
    d.update({ id: "bbbbbbbbbbbb", status: "Downloading", current: 1, total: 10 });
    d.finish();
    expect(out[0]).not.toContain("\x1b[2A");
    expect(out.at(-1)).toStartWith("\x1b[2A"); // one layer + the total
    for (const line of out.at(-1)!.split("\n").slice(0, -1)) expect(line.replace(/^(\x1b\[2A)?\r\x1b\[2K/, "").length).toBeLessThan(40);
  });

  it("a display taller than the terminal keeps its last lines (the cursor cannot go above the top)", () => {
    const { out, term } = capture(true, 80);
    const d = new PullDisplay({ ...term, rows: 5 });
    for (let i = 0; i < 10; i++) d.update({ id: `layer${String(i).padStart(7, "0")}`, status: "Waiting" });
    d.finish();
    const last = out.at(-1)!;
    expect(last.split("\n").length - 1).toBe(4); // rows - 1
    expect(last).toContain("layer0000009");
    expect(last).not.toContain("layer0000000");
    expect(last).toContain("Total:");
  });

  it("a byte transfer prints plain lines at each tenth, and a final one", () => {
    const { out, term } = capture(false);
    const p = new ByteProgress(term, "Exporting", 1000);
    for (let i = 0; i < 100; i++) p.add(10);
    p.finish();
    expect(out.length).toBe(11);
    expect(out.at(-1)).toContain("1.0 kB / 1.0 kB");
    expect(out.at(-1)).toContain("ETA 0s");
  });
});
