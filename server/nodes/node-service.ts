// The nodes modelhub runs models on, and the one owner of their state: the engine beside modelhub
// ("local", always up) and the machines added with `modelhub nodes add` (their rows, engine
// connections, inventories, health). It is the scheduler's NodeDirectory: placement sees `views()`,
// instances start through `node(name)`. Every remote node is checked each --node-check-interval;
// a node that goes down has its instances declared lost (their predictions fail naming it); one
// that comes (back) up is prepared (relay), reconciled by label, and followed again.
import { existsSync, readFileSync } from "node:fs";
import Docker from "dockerode";
import { AppError, conflict, invalidInput, notFound } from "../errors.ts";
import type { Logger } from "../log.ts";
import { DockerNode } from "../runtime/docker-node.ts";
import { mapDockerError } from "../runtime/docker-errors.ts";
import { DockerRuntime, dockerOptions, type EngineTls } from "../runtime/docker.ts";
import { probeNodeInventory } from "../runtime/gpu-probe.ts";
import type { GpuInventory } from "../runtime/gpus.ts";
import type { ImageTransfer } from "../runtime/image-transfer.ts";
import type { NodeRelay } from "../runtime/node-relay.ts";
import { DockerImageTransfer } from "../runtime/image-transfer.ts";
import { EnginePuller } from "../runtime/image-pull.ts";
import { bringImage, chooseImageRoute, type RegistryImages } from "./node-images.ts";
import { LOCAL_NODE, NODE_LABEL, type ListedInstance, type NodeDirectory, type NodeInventory, type NodeView, type RuntimeNode } from "../runtime/runtime-node.ts";
import { NEW_NODE, type HealthEvent, type NodeHealth, nextHealth, placementState } from "./node-health.ts";
import type { NodeRow, NodeStore } from "./node-store.ts";
import { checkNewNode, type NewNode } from "./node-input.ts";

/** What the node service tells the scheduler (bound once both exist). */
export interface NodeHooks {
  nodeLost(name: string, reason: string): void;
  adoptOn(name: string, listed: readonly ListedInstance[]): Promise<{ adopted: number; removed: number }>;
  watchNode(name: string, onLost: (err: Error) => void): Promise<void>;
  unwatchNode(name: string): void;
  nodesChanged(): void;
  instancesOn(name: string): number;
  /** stops every instance on the node (removing it): running work fails with `reason` */
  stopOn(name: string, reason: string): Promise<void>;
}

export interface NodeServiceDeps {
  store: NodeStore;
  logger: Logger;
  /** the engine beside modelhub, as a node */
  local: RuntimeNode;
  localInventory: GpuInventory;
  /** the local engine's images (saved to a node that lacks one) */
  localImages: ImageTransfer;
  /** labels every container of this modelhub carries (reconciliation finds them by these) */
  ownerLabels: Record<string, string>;
  /** the lane (network, limits) for nodes on this machine's own socket (tests, a second engine here) */
  lane: { network: string; memoryBytes: number; cpus: number; pids: number };
  checkIntervalMs: number;
  probeImage: string;
  /** the relay that keeps remote model containers private; without it a tcp:// node cannot take work */
  relay?: NodeRelay;
  /** modelhub's registry, which nodes pull pushed versions from when they can reach it */
  registry?: RegistryImages | null;
  /** HOST:PORT of modelhub's registry as nodes' engines reach it ("" = nodes never pull from it) */
  registryUrl?: string;
  now?: () => number;
}

interface Remote {
  row: NodeRow;
  docker: Docker;
  tls?: EngineTls;
  node: DockerNode | null;
  inventory: NodeInventory | null;
  health: NodeHealth;
  checks: number;
  images: Set<string>;
  timer?: ReturnType<typeof setTimeout>;
  checking: Promise<void> | null;
}

const PROBE_EVERY = 10;
const DOWN_AFTER = 2;

export class NodeService implements NodeDirectory {
  private remotes = new Map<string, Remote>();
  private engineRefs = new Map<string, string>();
  private hooks: NodeHooks | null = null;
  private closed = false;
  constructor(private d: NodeServiceDeps) {}

  /** Binds the scheduler and starts checking every stored node. */
  start(hooks: NodeHooks): void {
    this.hooks = hooks;
    for (const row of this.d.store.list()) this.connect(row);
  }

  // ---- NodeDirectory (the scheduler's view) ----------------------------------------------------

  node(name: string): RuntimeNode | undefined {
    if (name === LOCAL_NODE) return this.d.local;
    return this.remotes.get(name)?.node ?? undefined;
  }

  views(): NodeView[] {
    const local: NodeView = { name: LOCAL_NODE, state: "up", labels: {}, gpus: this.d.localInventory.gpus, freeMemoryBytes: 0, hasImage: () => true, note: this.d.localInventory.note };
    const remote = [...this.remotes.values()].map((r): NodeView => ({
      name: r.row.name,
      state: r.node ? placementState(r.health, r.row.drained) : "down",
      labels: r.row.labels,
      gpus: r.inventory?.gpus ?? [],
      freeMemoryBytes: r.inventory?.memoryBytes ?? 0,
      hasImage: (image) => r.images.has(this.engineRef(image).replace(/^sha256:/, "")),
      note: r.inventory?.note,
    }));
    return [local, ...remote];
  }

  // ---- the catalog (API and CLI) ---------------------------------------------------------------

  list(): NodeStatus[] {
    const localInv = this.d.localInventory;
    const local: NodeStatus = {
      name: LOCAL_NODE, engine: "local", state: "up", labels: {}, gpus: localInv.gpus, gpuSource: localInv.source, cpus: null, memoryBytes: null,
      instances: this.hooks?.instancesOn(LOCAL_NODE) ?? 0, lastSeenAt: null, error: null, note: localInv.note ?? null,
    };
    return [local, ...[...this.remotes.values()].map((r) => this.status(r))];
  }

  get(name: string): NodeStatus {
    if (name === LOCAL_NODE) return this.list()[0];
    const r = this.remotes.get(name);
    if (!r) throw notFound(`No node named ${name} (see modelhub nodes ls)`);
    return this.status(r);
  }

  /** Adds a node and checks it once before answering, so the answer says whether it is up. */
  async add(input: NewNode): Promise<NodeStatus> {
    const n = checkNewNode(input, existsSync);
    if (n.name === LOCAL_NODE || this.remotes.has(n.name) || !this.d.store.add(n, new Date(this.now()).toISOString()))
      throw conflict(`A node named ${n.name} exists already`);
    const r = this.connect(this.d.store.get(n.name)!);
    await this.check(r);
    return this.status(r);
  }

  drain(name: string, drained: boolean): NodeStatus {
    if (name === LOCAL_NODE) throw new AppError(409, "Conflict", "The local node cannot be drained (stop its models with modelhub stop)");
    const r = this.remotes.get(name);
    if (!r) throw notFound(`No node named ${name} (see modelhub nodes ls)`);
    this.d.store.setDrained(name, drained);
    r.row = { ...r.row, drained };
    this.d.logger.info(drained ? "node drained: no new work goes there" : "node takes work again", { node: name });
    this.hooks?.nodesChanged();
    return this.status(r);
  }

  /** Removes a node; with instances running there only when `force` (they are stopped, their work fails). */
  async remove(name: string, force: boolean): Promise<void> {
    if (name === LOCAL_NODE) throw new AppError(409, "Conflict", "The local node cannot be removed");
    const r = this.remotes.get(name);
    if (!r) throw notFound(`No node named ${name} (see modelhub nodes ls)`);
    const running = this.hooks?.instancesOn(name) ?? 0;
    if (running > 0 && !force)
      throw conflict(`${running} instance${running === 1 ? "" : "s"} run on ${name}: drain it and wait, or remove it anyway with force (modelhub nodes rm ${name} --force)`);
    if (running > 0 && r.health.state === "up") await this.hooks?.stopOn(name, `node ${name} was removed`);
    else if (running > 0) this.hooks?.nodeLost(name, "it was removed");
    clearTimeout(r.timer);
    this.remotes.delete(name);
    this.hooks?.unwatchNode(name);
    await this.d.relay?.close(name).catch(() => {});
    this.d.store.remove(name);
    this.hooks?.nodesChanged();
  }

  close(): void {
    this.closed = true;
    for (const r of this.remotes.values()) clearTimeout(r.timer);
    void this.d.relay?.close().catch(() => {});
  }

  // ---- checks ----------------------------------------------------------------------------------

  private connect(row: NodeRow): Remote {
    let tls: EngineTls | undefined;
    try {
      tls = row.engine.startsWith("tcp://") ? { ca: readFileSync(row.tlsCa, "utf8"), cert: readFileSync(row.tlsCert, "utf8"), key: readFileSync(row.tlsKey, "utf8") } : undefined;
    } catch (err) {
      this.d.logger.warn("cannot read a node's certificates; it stays down", { node: row.name, error: (err as Error).message });
    }
    const r: Remote = { row, docker: new Docker(dockerOptions(row.engine, tls)), tls, node: null, inventory: null, health: NEW_NODE, checks: 0, images: new Set(), checking: null };
    this.remotes.set(row.name, r);
    this.schedule(r);
    return r;
  }

  private schedule(r: Remote): void {
    clearTimeout(r.timer);
    if (this.closed) return;
    r.timer = setTimeout(() => void this.check(r).finally(() => this.remotes.get(r.row.name) === r && this.schedule(r)), this.d.checkIntervalMs);
    r.timer.unref?.();
  }

  /** One check (at most one at a time per node): ping, inventory now and then, and what a transition calls for. */
  check(r: Remote): Promise<void> {
    r.checking ??= this.checkOnce(r).finally(() => (r.checking = null));
    return r.checking;
  }

  private async checkOnce(r: Remote): Promise<void> {
    let event: HealthEvent;
    try {
      await withTimeout(r.docker.ping(), Math.max(2_000, this.d.checkIntervalMs));
      event = { kind: "answered", at: this.now() };
    } catch (err) {
      event = { kind: "silent", at: this.now(), error: mapDockerError(err, r.row.engine).message };
    }
    r.checks++;
    const { health, went } = nextHealth(r.health, event, { downAfter: DOWN_AFTER });
    r.health = health;
    if (event.kind === "answered") this.d.store.seen(r.row.name, new Date(event.at).toISOString());
    if (went === "down") {
      this.d.logger.warn("node is down: its instances are lost, new work goes elsewhere", { node: r.row.name, error: health.error });
      this.hooks?.nodeLost(r.row.name, health.error ?? "no answer");
      this.hooks?.nodesChanged();
    } else if (went === "up" || (health.state === "up" && !r.node)) {
      await this.cameUp(r);
    } else if (health.state === "up" && r.node && r.checks % PROBE_EVERY === 0) {
      await this.refreshInventory(r).catch((err: Error) => this.d.logger.warn("could not refresh a node's inventory", { node: r.row.name, error: err.message }));
    }
  }

  /** CPUs, memory and GPUs (a probe container, on engines with the NVIDIA runtime), and the images the node has. */
  private async refreshInventory(r: Remote): Promise<void> {
    const probeImage = this.d.relay?.ensureImage ? await this.d.relay.ensureImage(r.docker) : this.d.probeImage;
    r.inventory = await probeNodeInventory(r.docker, r.row.name, probeImage, r.row.fakeGpus);
    r.images = new Set((await r.docker.listImages()).map((i) => i.Id.replace(/^sha256:/, "")));
  }

  private async cameUp(r: Remote): Promise<void> {
    const name = r.row.name;
    try {
      r.node = await this.makeNode(r);
      await this.refreshInventory(r);
      const listed = await r.node.list(this.d.ownerLabels);
      const mine = listed.filter((l) => l.labels[NODE_LABEL] === name);
      const got = this.hooks ? await this.hooks.adoptOn(name, mine) : { adopted: 0, removed: 0 };
      this.d.logger.info("node is up", { node: name, gpus: r.inventory?.gpus.length ?? 0, adopted: got.adopted, removed: got.removed });
      // A broken event stream may mean the node is gone: check it now rather than at the next interval.
      await this.hooks?.watchNode(name, () => void this.check(r));
    } catch (err) {
      this.d.logger.warn("node answers but cannot take work", { node: name, error: (err as Error).message });
      r.node = null;
      r.health = { ...r.health, error: (err as Error).message };
    }
    this.hooks?.nodesChanged();
  }

  /** The node's RuntimeNode: on this machine (unix socket) like local; elsewhere behind its relay. */
  private async makeNode(r: Remote): Promise<DockerNode> {
    const { row } = r;
    const fetchImage = (image: string, progress: (line: string) => void) => this.fetchImage(r, image, progress);
    const engineRef = (image: string) => this.engineRef(image);
    if (!row.engine.startsWith("tcp://")) {
      const runtime = new DockerRuntime(row.engine, this.d.lane, (m) => this.d.logger.warn(m, { node: row.name }));
      return new DockerNode(row.name, runtime, { fetchImage, engineRef });
    }
    if (!this.d.relay) throw new Error("no relay to reach model containers on another machine privately");
    const { network, gateway } = await this.d.relay.prepare({ name: row.name, engineHost: row.engine, docker: r.docker });
    const runtime = new DockerRuntime(row.engine, { ...this.d.lane, network }, (m) => this.d.logger.warn(m, { node: row.name }), { tls: r.tls, publish: false });
    const relay = this.d.relay;
    return new DockerNode(row.name, runtime, {
      fetchImage,
      engineRef,
      endpoint: (_state, containerName) => relay.endpoint(row.name, containerName),
      // Containers there reach modelhub through the relay, at the models network's gateway.
      ...(gateway ? { extraHosts: [`host.docker.internal:${gateway}`] } : {}),
    });
  }

  /**
   * A pushed version's registry reference → the image id engines know it by; anything else as it is.
   * Remembered once found (a reference by digest always names the same image): placement asks often.
   */
  private engineRef(image: string): string {
    const known = this.engineRefs.get(image);
    if (known) return known;
    const ref = this.d.registry?.nodeSource(image)?.engineRef;
    if (ref) this.engineRefs.set(image, ref);
    return ref ?? image;
  }

  /** Brings an image to the node: pulled from modelhub's registry where it can, else streamed (node-images.ts). */
  private async fetchImage(r: Remote, image: string, progress: (line: string) => void): Promise<void> {
    const registry = this.d.registry ?? null;
    const how = await bringImage({
      node: r.row.name,
      image,
      route: chooseImageRoute(image, this.d.registryUrl ?? "", registry),
      pull: (ref, auth, p) => new EnginePuller(r.row.engine, r.tls).pull(ref, auth, p),
      stream: (p) => this.sendImage(r, this.engineRef(image), p),
      auth: (repo) => registry?.nodePullAuth(repo) ?? null,
      progress,
      logger: this.d.logger,
    });
    r.images.add(this.engineRef(image).replace(/^sha256:/, ""));
    progress(how === "pulled" ? `pulled on ${r.row.name} from modelhub's registry` : `loaded on ${r.row.name}`);
  }

  /** Streams an image from the local engine to the node (`docker save` → `docker load`), with progress. */
  private async sendImage(r: Remote, image: string, progress: (line: string) => void): Promise<void> {
    const { bytes } = await this.d.localImages.size(image);
    const tar = await this.d.localImages.save(image);
    let sent = 0;
    let shown = 0;
    const counted = tar.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, c) {
          sent += chunk.byteLength;
          const pct = bytes ? Math.floor((sent / bytes) * 100) : 0;
          if (pct >= shown + 10) progress(`${(shown = pct)}% of ${Math.round(bytes / 1e6)} MB sent to ${r.row.name}`);
          c.enqueue(chunk);
        },
      }),
    );
    await new DockerImageTransfer(r.row.engine, r.tls).load(counted);
  }

  private status(r: Remote): NodeStatus {
    return {
      name: r.row.name,
      engine: r.row.engine,
      state: r.health.state === "unknown" ? "unknown" : r.node ? placementState(r.health, r.row.drained) : "down",
      labels: r.row.labels,
      gpus: r.inventory?.gpus ?? [],
      gpuSource: r.inventory?.gpuSource ?? null,
      cpus: r.inventory?.cpus ?? null,
      memoryBytes: r.inventory?.memoryBytes ?? null,
      instances: this.hooks?.instancesOn(r.row.name) ?? 0,
      lastSeenAt: r.health.lastSeenAt !== null ? new Date(r.health.lastSeenAt).toISOString() : r.row.lastSeenAt,
      error: r.health.state === "up" && r.node ? null : r.health.error,
      note: r.inventory?.note ?? null,
    };
  }

  private now(): number {
    return this.d.now?.() ?? Date.now();
  }
}

export interface NodeStatus {
  name: string;
  engine: string;
  state: "up" | "draining" | "down" | "unknown";
  labels: Record<string, string>;
  gpus: NodeView["gpus"];
  gpuSource: string | null;
  cpus: number | null;
  memoryBytes: number | null;
  instances: number;
  lastSeenAt: string | null;
  error: string | null;
  note: string | null;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${Math.round(ms / 1000)} s`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}

