// Starting an instance: creating and starting its container, waiting until it is ready, remembering a
// setup failure, and counting failed starts toward the pool's crash backoff.
import { DockerUnavailableError, GPUS_LABEL, INSTANCE_LABEL, POOL_LABEL, RuntimeError, VERSION_LABEL } from "../runtime/runtime.ts";
import { LOCAL_NODE, NODE_LABEL } from "../runtime/runtime-node.ts";
import { countFailure } from "./backoff.ts";
import { waitReady } from "./boot.ts";
import { watchExit } from "./deaths.ts";
import { failWaiters, forget, nodeOf, type SchedulerState } from "./state.ts";
import { newInstance } from "./instance.ts";
import type { Pool } from "./pool.ts";
import type { Instance } from "./instance-state.ts";
import type { RunSpec } from "./run-spec.ts";
import type { SetupFailedError } from "./scheduler-errors.ts";

/** Registers the instance at once (so the next pump sees it) and boots it in the background. */
export function start(c: SchedulerState, pool: Pool, gpuIndices: number[], node = LOCAL_NODE): void {
  const nodeGpus = c.nodes.views().find((n) => n.name === node)?.gpus ?? [];
  const inst = newInstance(pool.spec, node, gpuIndices, c.deps.clock.now(), nodeGpus);
  c.instances.set(inst.id, inst);
  void boot(c, inst, pool, pool.spec);
}

async function boot(c: SchedulerState, inst: Instance, pool: Pool, spec: RunSpec): Promise<void> {
  const { clock, logger } = c.deps;
  const node = nodeOf(c, inst);
  logger.info("starting container", { model: spec.model, deployment: spec.deployment ?? undefined, instance: inst.id, gpus: inst.gpuIndices, ...(inst.node !== LOCAL_NODE ? { node: inst.node } : {}) });
  try {
    // A remote node may not have the image yet: it is brought there (and checked by digest) first.
    if (inst.node !== LOCAL_NODE && node.ensureImage) await node.ensureImage(spec.image, (line) => logger.info("image to node", { node: inst.node, image: spec.image, progress: line }));
    const nodeGpus = c.nodes.views().find((n) => n.name === inst.node)?.gpus ?? [];
    const started = await node.start({
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
        ...(inst.node !== LOCAL_NODE ? { [NODE_LABEL]: inst.node } : {}),
      },
      // A simulated inventory assigns devices on paper only: the container gets no device request.
      // On another machine GPUs are named by UUID, which cannot be renumbered under modelhub.
      gpus:
        inst.gpuIndices.length === 0 || inst.simulatedGpus
          ? { kind: "none" }
          : { kind: "devices", ids: inst.gpuIndices.map((g) => (inst.node === LOCAL_NODE ? String(g) : (nodeGpus.find((x) => x.index === g)?.uuid ?? String(g)))) },
      shmSizeBytes: c.deps.shmSizeBytes,
      extraHosts: c.deps.extraHosts,
      ...(spec.limits ? { limits: spec.limits } : {}),
    });
    inst.containerId = started.handle;
    if (inst.state === "stopping") {
      // stop() ran while the container was being started (shutdown, modelhub stop, its node lost): it had no handle to remove.
      void node.remove(started.handle).catch(() => {});
      return;
    }
    inst.baseUrl = started.endpoint;
  } catch (err) {
    forget(c, inst);
    const handle = inst.containerId ?? (err as { handle?: string }).handle;
    if (handle) void node.remove(handle).catch(() => {});
    if (c.closed) return;
    const remote = inst.node !== LOCAL_NODE;
    logger.warn("could not start container", { model: spec.model, error: (err as Error).message, ...(remote ? { node: inst.node } : {}) });
    if (remote && err instanceof DockerUnavailableError) {
      // Another machine's engine does not answer: the node is about to be found down. The waiting
      // predictions stay queued for another node (a short backoff keeps this from spinning meanwhile).
      countFailure(c, pool);
      c.tell({ kind: "changed" });
      return;
    }
    failWaiters(pool, remote ? new RuntimeError(`on node ${inst.node}: ${(err as Error).message}`, err) : (err as Error));
    if (!(err instanceof DockerUnavailableError)) countFailure(c, pool);
    c.tell({ kind: "changed" });
    return;
  }
  watchExit(c, inst);
  const failure = await waitReady(inst, spec.deployment ?? spec.model, spec.setupTimeoutMs, {
    clock,
    runtime: node,
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
    await node.remove(inst.containerId!).catch(() => {});
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
