// How a container's exit is told to users: exit code, OOM kill, signal.
import type { ContainerExit } from "../runtime/runtime.ts";

export function describeExit(exit: ContainerExit): string {
  if (exit.oomKilled)
    return `out of memory: the kernel killed it (exit code ${exit.exitCode}) when it went over its memory limit (--container-memory) or the machine ran out; try a smaller input, or ask an admin for a larger limit`;
  if (exit.exitCode === 137) return "killed (exit code 137, SIGKILL)";
  if (exit.exitCode === 143) return "terminated (exit code 143, SIGTERM)";
  return `exit code ${exit.exitCode}`;
}
