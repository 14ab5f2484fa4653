// Pure parts of running on several nodes: the GPU probe's CSV, and the engine's event stream split
// into lines wherever its chunks end (each Cog container event carries ~12 KB of labels).
import { describe, expect, it } from "bun:test";
import { parseContainerEvent } from "../../server/runtime/docker.ts";
import { parseGpuProbeCsv, simulatedGpus } from "../../server/runtime/gpu-probe.ts";
import { LineBuffer } from "../../server/runtime/ndjson-lines.ts";

describe("GPU probe CSV", () => {
  it("reads uuid, name, total and used memory; indices follow nvidia-smi's order", () => {
    const csv = "GPU-8e6a1c4e-aaaa-bbbb-cccc-000000000001, NVIDIA GeForce RTX 4090, 24564, 1\nGPU-8e6a1c4e-aaaa-bbbb-cccc-000000000002, NVIDIA A100-SXM4-80GB, 81920, 20480\n";
    expect(parseGpuProbeCsv(csv)).toEqual([
      { index: 0, uuid: "GPU-8e6a1c4e-aaaa-bbbb-cccc-000000000001", name: "NVIDIA GeForce RTX 4090", memoryTotalMiB: 24564, memoryUsedMiB: 1, simulated: false },
      { index: 1, uuid: "GPU-8e6a1c4e-aaaa-bbbb-cccc-000000000002", name: "NVIDIA A100-SXM4-80GB", memoryTotalMiB: 81920, memoryUsedMiB: 20480, simulated: false },
    ]);
  });
  it("keeps a name with a comma, reads [N/A] memory as unknown (0), skips blank lines and CRLF", () => {
    const gpus = parseGpuProbeCsv("\r\nMIG-1234-abcd, NVIDIA A100, MIG 1g.10gb, [N/A], [N/A]\r\n\r\n");
    expect(gpus).toEqual([{ index: 0, uuid: "MIG-1234-abcd", name: "NVIDIA A100, MIG 1g.10gb", memoryTotalMiB: 0, memoryUsedMiB: 0, simulated: false }]);
  });
  it("no GPU is an empty list; anything else is an error naming the line", () => {
    expect(parseGpuProbeCsv("")).toEqual([]);
    expect(() => parseGpuProbeCsv("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.")).toThrow(/line 1/);
    expect(() => parseGpuProbeCsv("GPU-1, only two")).toThrow(/line 1/);
  });
  it("simulated GPUs have per-node UUIDs and say they are simulated", () => {
    expect(simulatedGpus("gpu2", 2).map((g) => [g.index, g.uuid, g.simulated])).toEqual([[0, "GPU-fake-gpu2-0", true], [1, "GPU-fake-gpu2-1", true]]);
  });
});

describe("event stream lines", () => {
  // Two events of a Cog container: ~12 KB of labels each, with multi-byte characters in them.
  const labels = (n: number) => Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`run.cog.label.${i}`, `schwäbisch ✓ ${n} ${"x".repeat(190)}`]));
  const ev = (action: string, id: string, extra: Record<string, string>) => JSON.stringify({ Type: "container", Action: action, Actor: { ID: id, Attributes: { ...labels(1), ...extra } } });
  const stream = `${ev("oom", "c1", {})}\n${ev("die", "c1", { exitCode: "137" })}\n\n`;
  const bytes = new TextEncoder().encode(stream);

  it("each event is large (like a Cog container's)", () => {
    expect(bytes.length).toBeGreaterThan(2 * 12_000);
  });

  it("gives the same two events whichever byte offset the stream is split at", () => {
    const want = stream.split("\n").filter(Boolean);
    for (let at = 0; at <= bytes.length; at++) {
      const b = new LineBuffer();
      const lines = [...b.push(bytes.subarray(0, at)), ...b.push(bytes.subarray(at)), ...b.end()];
      if (lines.length !== 2 || lines[0] !== want[0] || lines[1] !== want[1]) throw new Error(`split at byte ${at} gave ${lines.length} lines, not the two events`);
    }
    // ...and those lines are the events, labels and all.
    const events = want.map(parseContainerEvent);
    expect(events.map((e) => [e?.containerId, e?.action, e?.exitCode])).toEqual([["c1", "oom", null], ["c1", "die", 137]]);
    expect(events[1]?.labels["run.cog.label.3"]).toBe(labels(1)["run.cog.label.3"]);
  });

  it("survives a stream cut into three parts at many offsets, and a final line without a newline", () => {
    for (let a = 0; a < bytes.length; a += 997) {
      for (let b = a; b < bytes.length; b += 3001) {
        const buf = new LineBuffer();
        const lines = [...buf.push(bytes.subarray(0, a)), ...buf.push(bytes.subarray(a, b)), ...buf.push(bytes.subarray(b))];
        expect(lines.length).toBe(2);
      }
    }
    const buf = new LineBuffer();
    expect(buf.push('{"Action":"start","Actor":{"ID":"c2"}}')).toEqual([]);
    expect(buf.end().map(parseContainerEvent).map((e) => e?.containerId)).toEqual(["c2"]);
  });

  it("a line that is not JSON is skipped, not fatal", () => {
    expect(parseContainerEvent("{not json")).toBeNull();
  });
});
