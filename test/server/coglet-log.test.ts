// Reading coglet's log stream: what setup() printed, when dockerd's copy of the stream trails the
// health answer that said SETUP_FAILED (seen on the real engine under load).
import { describe, expect, it } from "bun:test";
import { setupOutput } from "../../server/cog/coglet-log.ts";

const line = (message: string, target = "coglet::setup") => `${JSON.stringify({ timestamp: "t", level: "INFO", fields: { message }, target })}\n`;
const noSleep = async () => {};

describe("coglet log stream: setup output", () => {
  it("reads again until the stream holds the error the health answer gave", async () => {
    const snapshots = ["", line("loading weights"), line("loading weights") + line("found 0 weight files") + line("Traceback (most recent call last):\nFileNotFoundError: weights missing")];
    let reads = 0;
    const text = await setupOutput(async () => snapshots[Math.min(reads++, snapshots.length - 1)], noSleep, "weights missing");
    expect(reads).toBe(3);
    expect(text).toBe("loading weights\nfound 0 weight files\nTraceback (most recent call last):\nFileNotFoundError: weights missing\n");
  });

  it("gives what is there after a bounded number of reads, and ignores other targets and plain lines", async () => {
    let reads = 0;
    const raw = "plain stderr line\n" + line("listening", "coglet::server") + line("loading weights");
    const text = await setupOutput(async () => (reads++, raw), noSleep, "never printed");
    expect(text).toBe("loading weights\n");
    expect(reads).toBe(10);
  });

  it("takes the first non-empty read when the health answer had no error string", async () => {
    let reads = 0;
    expect(await setupOutput(async () => (reads++, line("x")), noSleep, "")).toBe("x\n");
    expect(reads).toBe(1);
  });
});
