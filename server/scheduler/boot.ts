// Readiness of a booting container (docs/cog-protocol.md): poll /health-check until READY, treat
// connection refused / STARTING / UNKNOWN as "still booting", and turn every way setup can fail into
// a SetupFailedError carrying the logs that explain it.
import { type Health, serverName } from "../cog/cog-container.ts";
import { setupOutput } from "../cog/coglet-log.ts";
import type { ContainerRuntime } from "../runtime/runtime.ts";
import type { Clock } from "./clock.ts";
import type { Instance } from "./instance-state.ts";
import { SetupFailedError } from "./scheduler-errors.ts";
import { describeExit } from "./exit.ts";

export interface BootDeps {
  clock: Clock;
  runtime: ContainerRuntime;
  probe(baseUrl: string, timeoutMs: number): Promise<Health>;
  pollMs: number;
  isClosed(): boolean;
}

const retryHint = (model: string) => `Fix the model and import it again, or retry this version (modelhub retry ${model}) once the cause is gone.`;

export async function waitReady(inst: Instance, model: string, setupTimeoutMs: number, deps: BootDeps): Promise<SetupFailedError | null> {
  const { clock, runtime } = deps;
  const deadline = clock.now() + setupTimeoutMs;
  let last = "no answer yet";
  while (!deps.isClosed()) {
    // The exit watcher marks the instance dead; Python Cog ≥ 0.9.16 exits 255 right after setup() raises.
    if (inst.state === "dead" && inst.exit) {
      const logs = await runtime.logs(inst.containerId!).catch(() => "");
      const why = inst.exit.exitCode === 255 ? "setup() raised an exception" : describeExit(inst.exit, inst.limits);
      return new SetupFailedError(`Setup of ${model} failed: the container exited during setup (${why}). See the logs for the cause. ${retryHint(inst.model)}`, logs);
    }
    if (inst.state === "stopping") return new SetupFailedError(`${model} was stopped while it was starting`, "");
    const h = await deps.probe(inst.baseUrl!, 1000);
    if (h.status === "READY" || h.status === "BUSY") {
      inst.cogServer = serverName(h) ?? inst.cogServer;
      return null;
    }
    if (h.status === "SETUP_FAILED" || h.status === "DEFUNCT") {
      // coglet stays up after a failed setup and its health holds only the error string: what setup() printed is in its log stream.
      const printed = h.runtime === "coglet" ? await setupOutput(() => runtime.logs(inst.containerId!), (ms) => clock.sleep(ms), h.setupLogs) : "";
      const logs = printed || h.setupLogs || (await runtime.logs(inst.containerId!).catch(() => ""));
      return new SetupFailedError(`Setup of ${model} failed (health-check says ${h.status}). See the logs for the cause. ${retryHint(inst.model)}`, logs);
    }
    // UNHEALTHY during boot is the model's own healthcheck() saying "not yet": keep waiting like STARTING.
    last = h.detail ? `${h.status}: ${h.detail}` : h.status;
    if (clock.now() > deadline) {
      const logs = await runtime.logs(inst.containerId!).catch(() => "");
      return new SetupFailedError(
        `Setup of ${model} did not finish within ${Math.round(setupTimeoutMs / 1000)} s (last health status: ${last}). ` +
          `Raise the model's setup_timeout (modelhub policy MODEL setup_timeout=SECONDS) or check the logs.`,
        logs,
      );
    }
    await clock.sleep(deps.pollMs);
  }
  return new SetupFailedError("modelhub is shutting down", "");
}
