// Tests for the GPU inventory: the --gpus flag, nvidia-smi CSV parsing and discovery through a fake command runner.

import { describe, expect, it } from "bun:test";
import {
  NVIDIA_SMI_QUERY,
  discoverGpus,
  parseGpusFlag,
  parseNvidiaSmiCsv,
  runCommand,
  type CommandOutcome,
  type CommandRunner,
  type Gpu,
  type GpusFlag,
} from "../../server/runtime/gpus.ts";

const FORMS = "--gpus must be all, none, a list of indices like 0,1, or fake:N";

// Real nvidia-smi pads fields after each comma; this is a two-GPU workstation's output.
const TWO_GPUS = [
  "0, GPU-3f2a6b1c-9d4e-4f7a-8b2c-1e5d6f7a8b9c, NVIDIA GeForce RTX 4090, 24564, 1203",
  "1, GPU-8c7d6e5f-4a3b-2c1d-0e9f-8a7b6c5d4e3f, NVIDIA RTX A6000, 49140, 3",
  "",
].join("\n");

const RTX_4090: Gpu = {
  index: 0,
  uuid: "GPU-3f2a6b1c-9d4e-4f7a-8b2c-1e5d6f7a8b9c",
  name: "NVIDIA GeForce RTX 4090",
  memoryTotalMiB: 24564,
  memoryUsedMiB: 1203,
  simulated: false,
};
const A6000: Gpu = {
  index: 1,
  uuid: "GPU-8c7d6e5f-4a3b-2c1d-0e9f-8a7b6c5d4e3f",
  name: "NVIDIA RTX A6000",
  memoryTotalMiB: 49140,
  memoryUsedMiB: 3,
  simulated: false,
};

// A runner that always answers the same and records what it was asked to run.
function answering(outcome: CommandOutcome): CommandRunner & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  const run = async (argv: readonly string[], timeoutMs: number) => {
    calls.push([[...argv], timeoutMs]);
    return outcome;
  };
  return Object.assign(run, { calls });
}

const smiPrints = (stdout: string) => answering({ kind: "exited", exitCode: 0, stdout, stderr: "" });

describe("parseGpusFlag", () => {
  const valid: [string, GpusFlag][] = [
    ["all", { mode: "all" }],
    ["none", { mode: "none" }],
    [" all ", { mode: "all" }],
    ["0", { mode: "indices", indices: [0] }],
    ["0,2", { mode: "indices", indices: [0, 2] }],
    ["3, 1", { mode: "indices", indices: [3, 1] }],
    ["fake:4", { mode: "fake", count: 4 }],
    ["fake:1", { mode: "fake", count: 1 }],
  ];
  for (const [value, want] of valid) {
    it(`parses ${JSON.stringify(value)}`, () => {
      expect(parseGpusFlag(value)).toEqual(want);
    });
  }

  const invalid: [string, string][] = [
    ["", `${FORMS} (got "")`],
    ["gpu0", `${FORMS} (got "gpu0")`],
    ["0,", `${FORMS} (got "0,")`],
    ["-1", `${FORMS} (got "-1")`],
    ["1.5", `${FORMS} (got "1.5")`],
    ["fake", `${FORMS} (got "fake")`],
    ["fake:", `${FORMS} (got "fake:")`],
    ["fake:-2", `${FORMS} (got "fake:-2")`],
    ["fake:0", `${FORMS} (fake:N needs N from 1 to 64, got "fake:0")`],
    ["fake:65", `${FORMS} (fake:N needs N from 1 to 64, got "fake:65")`],
    ["0,0", `${FORMS} (GPU 0 is listed twice in "0,0")`],
  ];
  for (const [value, message] of invalid) {
    it(`rejects ${JSON.stringify(value)} naming the flag and its forms`, () => {
      expect(() => parseGpusFlag(value)).toThrow(new Error(message));
    });
  }
});

describe("parseNvidiaSmiCsv", () => {
  it("reads padded fields, one GPU per line", () => {
    expect(parseNvidiaSmiCsv(TWO_GPUS)).toEqual([RTX_4090, A6000]);
  });

  it("skips blank lines and CRLF line ends, and sorts by index", () => {
    const text = `\r\n1, GPU-b, Tesla T4, 15360, 0\r\n\r\n0, GPU-a, Tesla T4, 15360, 10\r\n`;
    expect(parseNvidiaSmiCsv(text).map((gpu) => [gpu.index, gpu.uuid, gpu.memoryUsedMiB])).toEqual([
      [0, "GPU-a", 10],
      [1, "GPU-b", 0],
    ]);
  });

  it("reads [N/A] memory as 0", () => {
    expect(parseNvidiaSmiCsv("0, GPU-mig, NVIDIA A100-SXM4-40GB, [N/A], [N/A]\n")).toEqual([
      { index: 0, uuid: "GPU-mig", name: "NVIDIA A100-SXM4-40GB", memoryTotalMiB: 0, memoryUsedMiB: 0, simulated: false },
    ]);
  });

  it("returns no GPUs for empty output", () => {
    expect(parseNvidiaSmiCsv("\n \n")).toEqual([]);
  });

  it("rejects a line with the wrong number of fields, naming the line", () => {
    expect(() => parseNvidiaSmiCsv("0, GPU-a, Tesla T4, 15360\n")).toThrow(
      new Error('unexpected nvidia-smi output on line 1: "0, GPU-a, Tesla T4, 15360"'),
    );
  });
});

describe("discoverGpus", () => {
  it("asks nvidia-smi for the CSV query with a 5 s timeout", async () => {
    const run = smiPrints(TWO_GPUS);
    await discoverGpus({ mode: "all" }, run);
    expect(run.calls).toEqual([[[...NVIDIA_SMI_QUERY], 5000]]);
    expect(NVIDIA_SMI_QUERY).toEqual([
      "nvidia-smi",
      "--query-gpu=index,uuid,name,memory.total,memory.used",
      "--format=csv,noheader,nounits",
    ]);
  });

  it("lists every GPU for all", async () => {
    expect(await discoverGpus({ mode: "all" }, smiPrints(TWO_GPUS))).toEqual({
      gpus: [RTX_4090, A6000],
      source: "nvidia-smi",
    });
  });

  it("returns an empty list with a note when nvidia-smi is missing", async () => {
    expect(await discoverGpus({ mode: "all" }, answering({ kind: "not-found" }))).toEqual({
      gpus: [],
      source: "none",
      note: "nvidia-smi not found",
    });
  });

  it("returns an empty list with a note when nvidia-smi hangs", async () => {
    expect(await discoverGpus({ mode: "all" }, answering({ kind: "timed-out" }))).toEqual({
      gpus: [],
      source: "none",
      note: "nvidia-smi did not answer within 5 s",
    });
  });

  it("reports nvidia-smi's own reason when it fails", async () => {
    const run = answering({
      kind: "exited",
      exitCode: 9,
      stdout: "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\nMake sure ...\n",
      stderr: "",
    });
    expect(await discoverGpus({ mode: "all" }, run)).toEqual({
      gpus: [],
      source: "none",
      note: "nvidia-smi failed (exit 9): NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
    });
  });

  it("notes output it cannot parse instead of failing startup", async () => {
    expect(await discoverGpus({ mode: "all" }, smiPrints("garbage\n"))).toEqual({
      gpus: [],
      source: "none",
      note: 'unexpected nvidia-smi output on line 1: "garbage"',
    });
  });

  it("notes a runner that throws", async () => {
    const run: CommandRunner = async () => {
      throw new Error("EACCES");
    };
    expect(await discoverGpus({ mode: "all" }, run)).toEqual({
      gpus: [],
      source: "none",
      note: "could not run nvidia-smi: EACCES",
    });
  });

  it("notes a machine where nvidia-smi lists nothing", async () => {
    expect(await discoverGpus({ mode: "all" }, smiPrints(""))).toEqual({
      gpus: [],
      source: "nvidia-smi",
      note: "nvidia-smi listed no GPUs",
    });
  });

  it("returns nothing for none without running nvidia-smi", async () => {
    const run = smiPrints(TWO_GPUS);
    expect(await discoverGpus({ mode: "none" }, run)).toEqual({
      gpus: [],
      source: "none",
      note: "GPUs disabled by --gpus none",
    });
    expect(run.calls).toEqual([]);
  });

  it("builds simulated GPUs for fake:N without running nvidia-smi", async () => {
    const run = answering({ kind: "not-found" });
    const simulated = (index: number): Gpu => ({
      index,
      uuid: `GPU-fake-${index}`,
      name: "Simulated GPU",
      memoryTotalMiB: 24576,
      memoryUsedMiB: 0,
      simulated: true,
    });
    expect(await discoverGpus({ mode: "fake", count: 2 }, run)).toEqual({
      gpus: [simulated(0), simulated(1)],
      source: "fake",
      note: "2 simulated GPU(s) from --gpus fake:2; containers get no device requests",
    });
    expect(run.calls).toEqual([]);
  });

  it("keeps only the listed indices, in device order", async () => {
    expect(await discoverGpus({ mode: "indices", indices: [1] }, smiPrints(TWO_GPUS))).toEqual({
      gpus: [A6000],
      source: "nvidia-smi",
    });
    expect(await discoverGpus({ mode: "indices", indices: [1, 0] }, smiPrints(TWO_GPUS))).toEqual({
      gpus: [RTX_4090, A6000],
      source: "nvidia-smi",
    });
  });

  it("names the listed indices the machine does not have", async () => {
    await expect(discoverGpus({ mode: "indices", indices: [0, 2, 3] }, smiPrints(TWO_GPUS))).rejects.toThrow(
      new Error("--gpus 0,2,3: GPUs 2, 3 not found (this machine has GPUs 0, 1)"),
    );
  });

  it("says why no GPUs were found when indices are asked for without nvidia-smi", async () => {
    await expect(discoverGpus({ mode: "indices", indices: [0] }, answering({ kind: "not-found" }))).rejects.toThrow(
      new Error("--gpus 0: GPU 0 not found (no GPUs found: nvidia-smi not found)"),
    );
  });
});

// The default runner spawns for real; these use commands every POSIX machine has.
describe("runCommand", () => {
  it("reports a missing binary as not-found", async () => {
    expect(await runCommand(["modelhub-test-no-such-binary"], 1000)).toEqual({ kind: "not-found" });
  });

  it("returns the exit code and both streams", async () => {
    expect(await runCommand(["sh", "-c", "echo out; echo err >&2; exit 3"], 5000)).toEqual({
      kind: "exited",
      exitCode: 3,
      stdout: "out\n",
      stderr: "err\n",
    });
  });

  it("reports a command that outlives its timeout as timed-out", async () => {
    expect(await runCommand(["sleep", "10"], 50)).toEqual({ kind: "timed-out" });
  });
});
