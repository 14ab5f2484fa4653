// Watches running instances: a health check every interval (UNHEALTHY takes an instance out of
// service and replaces it after repeated failures, DEFUNCT replaces it at once) and memory samples
// (docker stats; GPU memory from nvidia-smi, since an instance's GPUs are its own).
import type { Logger } from "../log.ts";
import { type Health, serverName } from "../cog/cog-container.ts";
import type { RuntimeNode } from "../runtime/runtime-node.ts";
import type { Clock } from "./clock.ts";
import type { StatsBook } from "./stats.ts";
import type { Instance } from "./instance-state.ts";

export interface MonitorDeps {
  clock: Clock;
  /** the node an instance runs on (its memory samples) */
  nodeOf(inst: Instance): Pick<RuntimeNode, "memory">;
  logger: Logger;
  stats: StatsBook;
  probe(baseUrl: string, timeoutMs: number): Promise<Health>;
  gpuMemory?: () => Promise<Map<number, number>>;
  intervalMs: number;
  unhealthyLimit: number;
  /** the scheduler's side of each verdict */
  outOfService(inst: Instance): void;
  backInService(inst: Instance): void;
  replace(inst: Instance, reason: string, countsAsFailure: boolean): void;
}

const RUNNING = new Set(["starting", "ready", "unhealthy"]);

export class InstanceMonitor {
  constructor(private d: MonitorDeps) {}

  /** Starts the check chain for a ready instance; it ends by itself once the instance is gone. */
  watch(inst: Instance): void {
    inst.healthTimer = this.d.clock.setTimeout(async () => {
      if (!RUNNING.has(inst.state)) return;
      const h = await this.d.probe(inst.baseUrl!, 2_000);
      if (!RUNNING.has(inst.state)) return;
      this.verdict(inst, h);
      this.sampleMemory(inst, 0);
      if (RUNNING.has(inst.state)) this.watch(inst);
    }, this.d.intervalMs);
  }

  /** At most one sample per `minGapMs`: cheap enough to take after every prediction. */
  sampleMemory(inst: Instance, minGapMs: number): void {
    const now = this.d.clock.now();
    if (now - (inst.sampledAt ?? -Infinity) < minGapMs || !inst.containerId) return;
    inst.sampledAt = now;
    const { gpuMemory, stats } = this.d;
    const node = this.d.nodeOf(inst);
    if (node.memory)
      void node.memory(inst.containerId).then(
        (s) => {
          const peak = Math.max(s.memoryBytes, s.peakBytes ?? 0, inst.peakMemoryBytes ?? 0);
          inst.peakMemoryBytes = peak;
          stats.recordMemory(inst.versionId, peak);
        },
        () => {},
      );
    // nvidia-smi runs here: its figures are the local GPUs' only.
    if (gpuMemory && inst.gpuIndices.length > 0 && !inst.simulatedGpus && inst.node === "local")
      void gpuMemory().then(
        (used) => stats.recordGpuMemory(inst.versionId, inst.gpuIndices.reduce((sum, g) => sum + (used.get(g) ?? 0), 0)),
        () => {},
      );
  }

  private verdict(inst: Instance, h: Health): void {
    // An adopted container was never booted by this modelhub: its first check says what it runs.
    inst.cogServer = serverName(h) ?? inst.cogServer;
    if (h.status === "READY" || h.status === "BUSY") {
      inst.unhealthyChecks = 0;
      if (inst.state === "unhealthy") {
        this.d.logger.info("container healthy again", { model: inst.model, instance: inst.id });
        this.d.backInService(inst);
      }
      return;
    }
    if (h.status === "DEFUNCT" || h.status === "SETUP_FAILED") {
      // Cog says the worker is gone for good: replace the container; running work fails with this reason.
      this.d.replace(inst, `the model server reported ${h.status}`, true);
      return;
    }
    if (h.status === "UNHEALTHY") {
      inst.unhealthyChecks++;
      if (inst.state === "ready") {
        this.d.logger.warn("container unhealthy; not sending it new work", { model: inst.model, instance: inst.id, detail: h.detail });
        this.d.outOfService(inst);
      }
      if (inst.unhealthyChecks >= this.d.unhealthyLimit && inst.inFlight === 0)
        this.d.replace(inst, `the model's healthcheck() failed ${inst.unhealthyChecks} times: ${h.detail ?? "no detail"}`, false);
    }
    // UNREACHABLE while running: a loaded machine can be slow to answer; the exit watch catches real deaths.
  }
}
