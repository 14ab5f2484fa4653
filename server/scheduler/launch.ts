// Starting an instance: creating and starting its container, waiting until it is ready, remembering a
// setup failure, and counting failed starts toward the pool's crash backoff.
import { DockerUnavailableError, GPUS_LABEL, INSTANCE_LABEL, POOL_LABEL, RuntimeError, VERSION_LABEL } from "../runtime/runtime.ts";
import { countFailure } from "./backoff.ts";
import { waitReady } from "./boot.ts";
import { watchExit } from "./deaths.ts";
import { failWaiters, forget, type SchedulerState } from "./state.ts";
import { newInstance } from "./instance.ts";
import type { Pool } from "./pool.ts";
import type { Instance } from "./instance-state.ts";
import type { RunSpec } from "./run-spec.ts";
import type { SetupFailedError } from "./scheduler-errors.ts";

/** Registers the instance at once (so the next pump sees it) and boots it in the background. */
export function start(c: SchedulerState, pool: Pool, gpuIndices: number[]): void {
  const inst = newInstance(pool.spec, gpuIndices, c.deps.clock.now(), c.deps.inventory);
  c.instances.set(inst.id, inst);
  void boot(c, inst, pool, pool.spec);
}

async function boot(c: SchedulerState, inst: Instance, pool: Pool, spec: RunSpec): Promise<void> {
  const { runtime, clock, logger } = c.deps;
  logger.info("starting container", { model: spec.model, deployment: spec.deployment ?? undefined, instance: inst.id, gpus: inst.gpuIndices });
  try {
    inst.containerId = await runtime.create({
      image: spec.image,
      name: `modelhub-${(spec.deployment ?? spec.model).replace(/[^a-zA-Z0-9_.-]/g, "-")}-${inst.id}`,
      // Cog batches output/log webhooks every 0.5 s by default; 0.1 s lets streams show tokens as
      // they come (modelhub throttles users' own webhooks itself). Below 0.1 Python drops `start`.
      env: ["COG_LOG_LEVEL=warning", "COG_THROTTLE_RESPONSE_INTERVAL=0.1"],
      cmd: spec.cmd,
      labels: {
        ...c.deps.labels,
        [VERSION_LABEL]: spec.versionId,
        [INSTANCE_LABEL]: inst.id,
        [POOL_LABEL]: inst.key,
        [GPUS_LABEL]: inst.gpuIndices.join(","),
      },
      // A simulated inventory assigns devices on paper only: the container gets no device request.
      gpus: inst.gpuIndices.length === 0 || inst.simulatedGpus ? { kind: "none" } : { kind: "devices", ids: inst.gpuIndices.map(String) },
      shmSizeBytes: c.deps.shmSizeBytes,
      extraHosts: c.deps.extraHosts,
      ...(spec.limits ? { limits: spec.limits } : {}),
    });
    if (inst.state === "stopping") {
      // stop() ran while the container was being created (shutdown, modelhub stop): it had no id to remove.
      void runtime.remove(inst.containerId).catch(() => {});
      return;
    }
    const state = await runtime.start(inst.containerId);
    if (!state.hostPort) throw new RuntimeError("Docker did not publish the container's port 5000");
    inst.baseUrl = `http://127.0.0.1:${state.hostPort}`;
  } catch (err) {
    forget(c, inst);
    if (inst.containerId) void runtime.remove(inst.containerId).catch(() => {});
    if (c.closed) return;
    logger.warn("could not start container", { model: spec.model, error: (err as Error).message });
    failWaiters(pool, err as Error);
    if (!(err instanceof DockerUnavailableError)) countFailure(c, pool);
    c.tell({ kind: "changed" });
    return;
  }
  watchExit(c, inst);
  const failure = await waitReady(inst, spec.deployment ?? spec.model, spec.setupTimeoutMs, {
    clock,
    runtime,
    probe: c.deps.probe,
    pollMs: c.deps.healthPollMs ?? 10,
    isClosed: () => c.closed,
  });
  if (failure) {
    // (state is re-read: stop() may have run while we awaited)
    if ((inst.state as string) === "stopping" || c.closed) return; // stop() cleans up
    logger.warn("container setup failed", { model: spec.model, instance: inst.id, reason: failure.message });
    // Remembered first, so nothing boots the same image meanwhile; the container is gone (and its GPUs
    // free) before the waiting predictions hear about it, so a failed prediction leaves nothing behind.
    inst.state = "stopping";
    const pools = setupFailed(c, spec, failure);
    await runtime.remove(inst.containerId).catch(() => {});
    forget(c, inst);
    for (const pool of pools) failWaiters(pool, failure);
    c.tell({ kind: "changed" });
    return;
  }
  if (inst.state !== "starting") return; // died or was stopped just as it became ready
  inst.state = "ready";
  inst.readyAt = clock.now();
  c.stats.recordBoot(inst.versionId, inst.readyAt - inst.createdAt);
  logger.info("container ready", { model: spec.model, instance: inst.id, bootMs: inst.readyAt - inst.createdAt });
  c.tell({ kind: "ready", inst });
}

/** Remembers a setup failure (catalog and every pool of the version); returns those pools. */
function setupFailed(c: SchedulerState, spec: RunSpec, failure: SetupFailedError): Pool[] {
  if (failure.message.includes("shutting down")) return [];
  c.deps.onSetupFailure(spec.versionId, failure.message, failure.logs);
  const pools = [...c.pools.values()].filter((pool) => pool.spec.versionId === spec.versionId);
  for (const pool of pools) pool.setupError = failure;
  return pools;
}
