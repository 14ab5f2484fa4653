// How a container's exit is told to users: exit code, OOM kill (naming the memory limit in force), signal.
import type { ContainerExit, ContainerLimits } from "../runtime/runtime.ts";

/** 8589934592 → "8 GiB", 536870912 → "512 MiB" */
export function formatBytes(n: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}

export function describeExit(exit: ContainerExit, limits?: ContainerLimits | null): string {
  if (exit.oomKilled) {
    const limit = limits?.memoryBytes
      ? `its memory limit of ${formatBytes(limits.memoryBytes)} (the model's policy: memory, or --container-memory)`
      : "the machine's memory (no memory limit is set: the model's policy memory, or --container-memory)";
    return `out of memory: the kernel killed it (exit code ${exit.exitCode}) when it went over ${limit}; try a smaller input, or ask an admin for a larger limit`;
  }
  if (exit.exitCode === 137) return "killed (exit code 137, SIGKILL)";
  if (exit.exitCode === 143) return "terminated (exit code 143, SIGTERM)";
  return `exit code ${exit.exitCode}`;
}
