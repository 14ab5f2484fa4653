// A node's GPUs, asked of its own engine: the engine's runtimes say whether it has NVIDIA's (without
// it the node is a CPU node); if it has, a short container runs nvidia-smi there and its CSV is
// parsed here. Indices are the order nvidia-smi lists the devices in, which is how that machine's
// Docker numbers them; the UUID is what a container is given, since it cannot be renumbered.
import type Docker from "dockerode";
import { demuxLogs } from "./docker.ts";
import type { Gpu } from "./gpus.ts";
import type { NodeInventory } from "./runtime-node.ts";

export const GPU_PROBE_COMMAND: readonly string[] = [
  "nvidia-smi",
  "--query-gpu=uuid,name,memory.total,memory.used",
  "--format=csv,noheader,nounits",
];

/** Parses `nvidia-smi --query-gpu=uuid,name,memory.total,memory.used --format=csv,noheader,nounits`. */
export function parseGpuProbeCsv(text: string): Gpu[] {
  const gpus: Gpu[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line) continue;
    // A GPU name may itself hold a comma ("NVIDIA A100-SXM4-80GB, MIG"): the first field and the last two are fixed.
    const fields = line.split(",").map((f) => f.trim());
    if (fields.length < 4 || !/^(GPU|MIG)-[0-9A-Za-z-]+$/.test(fields[0]))
      throw new Error(`unexpected nvidia-smi output on line ${i + 1}: ${JSON.stringify(raw)}`);
    const used = fields[fields.length - 1];
    const total = fields[fields.length - 2];
    gpus.push({
      index: gpus.length,
      uuid: fields[0],
      name: fields.slice(1, -2).join(", "),
      memoryTotalMiB: mebibytes(total),
      memoryUsedMiB: mebibytes(used),
      simulated: false,
    });
  }
  return gpus;
}

// "[N/A]" (MIG, vGPU) is unknown, not an error.
function mebibytes(field: string): number {
  return /^\d+(\.\d+)?$/.test(field) ? Number(field) : 0;
}

/** Simulated GPUs for a node (the test harness; a machine without GPUs standing in for one). */
export function simulatedGpus(node: string, count: number): Gpu[] {
  return Array.from({ length: count }, (_, index) => ({
    index,
    uuid: `GPU-fake-${node}-${index}`,
    name: "Simulated GPU",
    memoryTotalMiB: 24_576,
    memoryUsedMiB: 0,
    simulated: true,
  }));
}

/**
 * The inventory of the engine behind `docker`: CPUs and memory from its info, GPUs from a probe
 * container when it has the NVIDIA runtime. `fakeGpus` > 0 simulates that many instead of probing.
 */
export async function probeNodeInventory(docker: Docker, node: string, probeImage: string, fakeGpus = 0): Promise<NodeInventory> {
  const info = (await docker.info()) as { NCPU?: number; MemTotal?: number; Runtimes?: Record<string, unknown> };
  const base = { cpus: info.NCPU ?? 0, memoryBytes: info.MemTotal ?? 0 };
  if (fakeGpus > 0) return { ...base, gpus: simulatedGpus(node, fakeGpus), gpuSource: "fake", note: `${fakeGpus} simulated GPU(s); containers get no device requests` };
  if (!info.Runtimes || !("nvidia" in info.Runtimes)) return { ...base, gpus: [], gpuSource: "none", note: "the engine has no NVIDIA runtime: a CPU node" };
  const out = await runProbe(docker, probeImage);
  return { ...base, gpus: parseGpuProbeCsv(out), gpuSource: "nvidia-smi" };
}

async function runProbe(docker: Docker, image: string): Promise<string> {
  const container = await docker.createContainer({
    Image: image,
    // Any image will do: the NVIDIA toolkit mounts nvidia-smi into a container that asks for GPUs.
    Entrypoint: [GPU_PROBE_COMMAND[0]],
    Cmd: GPU_PROBE_COMMAND.slice(1),
    Labels: { "dev.modelhub.probe": "gpus" },
    HostConfig: { Runtime: "nvidia", DeviceRequests: [{ Driver: "nvidia", Count: -1, Capabilities: [["gpu", "utility"]] }], NetworkMode: "none" },
  });
  try {
    await container.start();
    const res = (await container.wait()) as { StatusCode: number };
    const buf = (await container.logs({ stdout: true, stderr: true, follow: false })) as Buffer;
    const text = demuxLogs(buf);
    if (res.StatusCode !== 0) throw new Error(`nvidia-smi exited ${res.StatusCode} on the node: ${text.trim().slice(0, 300)}`);
    return text;
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}
