// GPU inventory: reads the --gpus flag and nvidia-smi into the list of devices the scheduler places onto.

export interface Gpu {
  /** nvidia-smi's device index, kept as-is (not renumbered) so it matches what Docker's device requests expect */
  index: number;
  uuid: string;
  name: string;
  memoryTotalMiB: number;
  memoryUsedMiB: number;
  /** true for --gpus fake:N devices: placement treats them as real, but containers get no device requests */
  simulated: boolean;
}

export interface GpuInventory {
  gpus: Gpu[];
  source: "nvidia-smi" | "none" | "fake";
  /** why the list is empty or unusual, for the startup log and the status endpoint */
  note?: string;
}

export type GpusFlag =
  | { mode: "all" }
  | { mode: "none" }
  | { mode: "indices"; indices: number[] }
  | { mode: "fake"; count: number };

/** What running a command can end in; "not-found" and "timed-out" are outcomes, not throws, so callers can't forget them. */
export type CommandOutcome =
  | { kind: "exited"; exitCode: number; stdout: string; stderr: string }
  | { kind: "not-found" }
  | { kind: "timed-out" };

/** Injectable so tests can hand back canned nvidia-smi output on machines without a GPU. */
export type CommandRunner = (argv: readonly string[], timeoutMs: number) => Promise<CommandOutcome>;

export const NVIDIA_SMI_QUERY: readonly string[] = [
  "nvidia-smi",
  "--query-gpu=index,uuid,name,memory.total,memory.used",
  "--format=csv,noheader,nounits",
];

// A wedged driver can make nvidia-smi hang for a long time; startup should not hang with it.
const NVIDIA_SMI_TIMEOUT_MS = 5_000;

// Enough for any workstation; the cap stops a typo like fake:40000 from building a huge list.
const MAX_FAKE_GPUS = 64;

const FAKE_GPU_MEMORY_MIB = 24_576;

const FLAG_FORMS = "--gpus must be all, none, a list of indices like 0,1, or fake:N";

export function parseGpusFlag(value: string): GpusFlag {
  const text = value.trim();
  if (text === "all") return { mode: "all" };
  if (text === "none") return { mode: "none" };

  const fake = /^fake:(\d+)$/.exec(text);
  if (fake) {
    const count = Number(fake[1]);
    if (count < 1 || count > MAX_FAKE_GPUS) {
      throw new Error(`${FLAG_FORMS} (fake:N needs N from 1 to ${MAX_FAKE_GPUS}, got ${JSON.stringify(value)})`);
    }
    return { mode: "fake", count };
  }

  const parts = text.split(",").map((part) => part.trim());
  if (text === "" || !parts.every((part) => /^\d+$/.test(part))) {
    throw new Error(`${FLAG_FORMS} (got ${JSON.stringify(value)})`);
  }
  const indices = parts.map(Number);
  const repeated = indices.find((index, i) => indices.indexOf(index) !== i);
  if (repeated !== undefined) {
    throw new Error(`${FLAG_FORMS} (GPU ${repeated} is listed twice in ${JSON.stringify(value)})`);
  }
  return { mode: "indices", indices };
}

/** Parses `nvidia-smi --query-gpu=index,uuid,name,memory.total,memory.used --format=csv,noheader,nounits`. */
export function parseNvidiaSmiCsv(text: string): Gpu[] {
  const gpus: Gpu[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const fields = line.split(",").map((field) => field.trim());
    const [index, uuid, name, total, used] = fields;
    if (fields.length !== 5 || index === undefined || !/^\d+$/.test(index)) {
      throw new Error(`unexpected nvidia-smi output on line ${i + 1}: ${JSON.stringify(line)}`);
    }
    gpus.push({
      index: Number(index),
      uuid: uuid ?? "",
      name: name ?? "",
      memoryTotalMiB: mebibytes(total),
      memoryUsedMiB: mebibytes(used),
      simulated: false,
    });
  });
  return gpus.sort((a, b) => a.index - b.index);
}

// Some boards (and MIG or vGPU setups) report memory as "[N/A]"; 0 means "unknown" rather than failing discovery.
function mebibytes(field: string | undefined): number {
  const value = Number(field);
  return field !== undefined && /^\d+(\.\d+)?$/.test(field) && Number.isFinite(value) ? value : 0;
}

export async function discoverGpus(flag: GpusFlag, run: CommandRunner = runCommand): Promise<GpuInventory> {
  switch (flag.mode) {
    case "none":
      return { gpus: [], source: "none", note: "GPUs disabled by --gpus none" };
    case "fake":
      return {
        gpus: Array.from({ length: flag.count }, (_, index) => fakeGpu(index)),
        source: "fake",
        note: `${flag.count} simulated GPU(s) from --gpus fake:${flag.count}; containers get no device requests`,
      };
    case "all":
      return probeNvidiaSmi(run);
    case "indices": {
      const found = await probeNvidiaSmi(run);
      const missing = flag.indices.filter((index) => !found.gpus.some((gpu) => gpu.index === index));
      if (missing.length > 0) {
        const have = found.gpus.length > 0
          ? `this machine has ${gpuList(found.gpus.map((gpu) => gpu.index))}`
          : `no GPUs found${found.note ? `: ${found.note}` : ""}`;
        throw new Error(`--gpus ${flag.indices.join(",")}: ${gpuList(missing)} not found (${have})`);
      }
      // Keep the device order of the machine, not of the flag, so placement stays lowest-index-first.
      return { gpus: found.gpus.filter((gpu) => flag.indices.includes(gpu.index)), source: "nvidia-smi" };
    }
  }
}

function fakeGpu(index: number): Gpu {
  return {
    index,
    uuid: `GPU-fake-${index}`,
    name: "Simulated GPU",
    memoryTotalMiB: FAKE_GPU_MEMORY_MIB,
    memoryUsedMiB: 0,
    simulated: true,
  };
}

// "all" is the default, so a machine without a usable driver must still start (CPU models work);
// every failure becomes an empty list plus a note saying why.
async function probeNvidiaSmi(run: CommandRunner): Promise<GpuInventory> {
  let outcome: CommandOutcome;
  try {
    outcome = await run(NVIDIA_SMI_QUERY, NVIDIA_SMI_TIMEOUT_MS);
  } catch (error) {
    return { gpus: [], source: "none", note: `could not run nvidia-smi: ${messageOf(error)}` };
  }
  if (outcome.kind === "not-found") return { gpus: [], source: "none", note: "nvidia-smi not found" };
  if (outcome.kind === "timed-out") {
    return { gpus: [], source: "none", note: `nvidia-smi did not answer within ${NVIDIA_SMI_TIMEOUT_MS / 1000} s` };
  }
  if (outcome.exitCode !== 0) {
    // nvidia-smi prints its reason ("couldn't communicate with the NVIDIA driver") on stdout, not stderr.
    const said = firstLine(outcome.stderr) || firstLine(outcome.stdout);
    return { gpus: [], source: "none", note: `nvidia-smi failed (exit ${outcome.exitCode})${said ? `: ${said}` : ""}` };
  }
  try {
    const gpus = parseNvidiaSmiCsv(outcome.stdout);
    return gpus.length > 0 ? { gpus, source: "nvidia-smi" } : { gpus, source: "nvidia-smi", note: "nvidia-smi listed no GPUs" };
  } catch (error) {
    return { gpus: [], source: "none", note: messageOf(error) };
  }
}

function gpuList(indices: number[]): string {
  return `${indices.length === 1 ? "GPU" : "GPUs"} ${indices.join(", ")}`;
}

function firstLine(text: string): string {
  return text.trim().split(/\r?\n/)[0]?.trim() ?? "";
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The real runner: Bun.spawn, with a missing binary and a timeout reported as outcomes. */
export async function runCommand(argv: readonly string[], timeoutMs: number): Promise<CommandOutcome> {
  let proc;
  try {
    proc = Bun.spawn([...argv], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  } catch (error) {
    // Bun throws synchronously with code ENOENT when the executable is not on PATH.
    if ((error as { code?: unknown }).code === "ENOENT") return { kind: "not-found" };
    throw error;
  }
  // Our own timer rather than spawn's `timeout` option, so a kill we caused is told apart from a crash.
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, timeoutMs);
  try {
    const [stdout, stderr, exitCode] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    return timedOut ? { kind: "timed-out" } : { kind: "exited", exitCode, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

/** Used memory per GPU index right now, for per-version GPU memory metrics (GPUs are exclusive to one instance). */
export async function sampleGpuMemory(run: CommandRunner = runCommand): Promise<Map<number, number>> {
  const outcome = await run(NVIDIA_SMI_QUERY, NVIDIA_SMI_TIMEOUT_MS);
  if (outcome.kind !== "exited" || outcome.exitCode !== 0) return new Map();
  return new Map(parseNvidiaSmiCsv(outcome.stdout).map((g) => [g.index, g.memoryUsedMiB]));
}
