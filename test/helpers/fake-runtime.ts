// The one ContainerRuntime for tests without Docker. Images are whatever the test registers (with
// Cog labels). Containers are in-memory records by default (they report whatever health the test
// sets, and die when told); with `processes: true` each one is the Cog-protocol fixture server
// (test/fixtures/cog-server) run as a plain Bun process on a free loopback port, so predictions
// really run: its command line, env and exit code are the container's.
import type { Health } from "../../server/cog/cog-container.ts";
import type { ContainerEvent, ContainerExit, ContainerRuntime, ContainerSpec, ContainerState, ImageInfo } from "../../server/runtime/runtime.ts";
import { DockerUnavailableError, ImageNotFoundError } from "../../server/runtime/runtime.ts";

const FIXTURE_SERVER = new URL("../fixtures/cog-server/main.ts", import.meta.url).pathname;
/** The image label naming the fixture model a process container runs (COG_FIXTURE_MODEL). */
export const FIXTURE_MODEL_LABEL = "modelhub.fixture.model";

export interface FakeContainer {
  id: string;
  spec: ContainerSpec;
  port: number;
  running: boolean;
  removed: boolean;
  /** what /health-check says (in-memory containers only) */
  health: Health["status"];
  exited: (exit: ContainerExit) => void;
  exit: Promise<ContainerExit>;
  proc?: ReturnType<typeof Bun.spawn>;
  output: string[];
}

export class FakeRuntime implements ContainerRuntime {
  images = new Map<string, ImageInfo>();
  containers: FakeContainer[] = [];
  /** health a new in-memory container of this image reports; default READY */
  healthFor = new Map<string, Health["status"]>();
  /** containers a previous run left (adoption tests) */
  leftovers: ContainerState[] = [];
  /** set false to make every call fail the way a stopped Docker engine does */
  engineUp = true;
  private listeners = new Set<(e: ContainerEvent) => void>();
  private nextPort = 40000;

  /**
   * `processes`: run the fixture server for each container. `publish: false`: in-memory containers
   * get no port, so a start fails at once the way an unpublished container does (nothing is probed).
   */
  constructor(private opts: { processes?: boolean; publish?: boolean; env?: Record<string, string> } = {}) {}

  /** Registers a local image `ref` with these labels; the digest defaults to one derived from ref. */
  addImage(ref: string, labels: Record<string, string>, digest = new Bun.CryptoHasher("sha256").update(ref).digest("hex")): ImageInfo {
    const info: ImageInfo = { digest, repoTags: [ref], labels, env: [], createdAt: new Date().toISOString() };
    this.images.set(ref, info);
    this.images.set(`sha256:${digest}`, info);
    return info;
  }

  private up(): void {
    if (!this.engineUp) throw new DockerUnavailableError("Cannot reach the Docker engine (fake runtime switched off)");
  }

  async ping(): Promise<void> {
    this.up();
  }
  async inspectImage(ref: string): Promise<ImageInfo> {
    this.up();
    const info = this.images.get(ref);
    if (!info) throw new ImageNotFoundError(`No such image: ${ref}`);
    return info;
  }
  async create(spec: ContainerSpec): Promise<string> {
    this.up();
    const id = `c${this.containers.length + 1}`;
    const { promise: exit, resolve: exited } = Promise.withResolvers<ContainerExit>();
    this.containers.push({ id, spec, port: 0, running: false, removed: false, health: this.healthFor.get(spec.image) ?? "READY", exited, exit, output: [] });
    return id;
  }
  async start(id: string): Promise<ContainerState> {
    this.up();
    const c = this.byId(id);
    c.port = this.opts.processes ? freePort() : this.opts.publish === false ? 0 : ++this.nextPort;
    c.running = true;
    if (this.opts.processes) this.spawn(c);
    return this.state(c);
  }
  async inspect(id: string): Promise<ContainerState> {
    return this.state(this.byId(id));
  }
  wait(id: string): Promise<ContainerExit> {
    // Leftover containers (adoption tests) never exit on their own.
    return this.containers.find((x) => x.id === id)?.exit ?? new Promise(() => {});
  }
  async stop(id: string): Promise<void> {
    const c = this.byId(id);
    if (!c.running) return;
    if (c.proc) {
      c.proc.kill("SIGTERM");
      await c.exit;
      return;
    }
    c.running = false;
    c.exited({ exitCode: 143, oomKilled: false });
  }
  async remove(id: string): Promise<void> {
    const c = this.containers.find((x) => x.id === id);
    if (!c) {
      this.leftovers = this.leftovers.filter((l) => l.id !== id);
      return;
    }
    if (c.proc && c.running) c.proc.kill("SIGKILL");
    c.removed = true;
    c.running = false;
  }
  async logs(id: string, tailLines?: number): Promise<string> {
    const c = this.containers.find((x) => x.id === id);
    if (!c?.proc) return "last log line";
    const lines = c.output.join("").split("\n");
    if (lines.at(-1) === "") lines.pop();
    return (tailLines ? lines.slice(-tailLines) : lines).join("\n");
  }
  async list(labels: Record<string, string> = {}): Promise<ContainerState[]> {
    const mine = this.containers.filter((c) => !c.removed && Object.entries(labels).every(([k, v]) => c.spec.labels[k] === v));
    return [...this.leftovers, ...mine.map((c) => this.state(c))];
  }
  async events(onEvent: (e: ContainerEvent) => void): Promise<() => void> {
    this.listeners.add(onEvent);
    return () => this.listeners.delete(onEvent);
  }

  /** The container dies on its own: the engine reports it on the event stream (and to wait()). A process is killed. */
  die(id: string, exitCode: number, oom = false): void {
    const c = this.byId(id);
    if (c.proc) {
      c.proc.kill("SIGKILL");
      return;
    }
    c.running = false;
    if (oom) this.emit({ containerId: id, action: "oom", exitCode: null, labels: c.spec.labels });
    this.emit({ containerId: id, action: "die", exitCode, labels: c.spec.labels });
    c.exited({ exitCode, oomKilled: oom });
  }

  /** The health of in-memory containers (and leftovers, by their `test.health` label), for the scheduler's probe. */
  probe = async (baseUrl: string): Promise<Health> => {
    const port = Number(new URL(baseUrl).port);
    const c = this.containers.find((x) => x.port === port);
    const left = this.leftovers.find((x) => x.hostPort === port);
    if (left) return { status: (left.labels["test.health"] as Health["status"]) ?? "READY", setupLogs: "" };
    if (!c || !c.running) return { status: "UNREACHABLE", setupLogs: "" };
    return { status: c.health, setupLogs: c.health === "SETUP_FAILED" ? "Traceback: boom" : "" };
  };

  live(): FakeContainer[] {
    return this.containers.filter((c) => c.running);
  }

  /** Kills every process still running (a test's clean-up). */
  async killAll(): Promise<void> {
    const procs = this.containers.filter((c) => c.proc && c.running);
    for (const c of procs) c.proc!.kill("SIGKILL");
    await Promise.all(procs.map((c) => c.exit));
  }

  private spawn(c: FakeContainer): void {
    const image = this.images.get(c.spec.image);
    const env: Record<string, string> = { ...(process.env as Record<string, string>), ...this.opts.env, PORT: String(c.port) };
    // The image's ENV (a coglet fixture image bakes COG_FIXTURE_RUNTIME=coglet), then the container's.
    for (const kv of [...(image?.env ?? []), ...c.spec.env]) {
      const i = kv.indexOf("=");
      env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    env.COG_FIXTURE_MODEL = image?.labels[FIXTURE_MODEL_LABEL] ?? "hello";
    const proc = Bun.spawn([process.execPath, FIXTURE_SERVER, ...(c.spec.cmd ?? []), "--host", "127.0.0.1"], { env, stdout: "pipe", stderr: "pipe" });
    c.proc = proc;
    for (const stream of [proc.stdout, proc.stderr]) void collect(stream, c.output);
    void proc.exited.then((code) => {
      c.running = false;
      const exitCode = proc.signalCode === "SIGKILL" ? 137 : proc.signalCode === "SIGTERM" ? 143 : code;
      this.emit({ containerId: c.id, action: "die", exitCode, labels: c.spec.labels });
      c.exited({ exitCode, oomKilled: false });
    });
  }

  private emit(e: ContainerEvent): void {
    for (const fn of this.listeners) fn(e);
  }

  private byId(id: string): FakeContainer {
    const c = this.containers.find((x) => x.id === id);
    if (!c) throw new Error(`no container ${id}`);
    return c;
  }
  private state(c: FakeContainer): ContainerState {
    return { id: c.id, running: c.running, status: c.running ? "running" : "exited", exitCode: null, oomKilled: false, hostPort: c.port || null, labels: c.spec.labels, startedAt: null, image: c.spec.image };
  }
}

async function collect(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  const dec = new TextDecoder();
  for await (const chunk of stream) into.push(dec.decode(chunk, { stream: true }));
}

/** A loopback port nothing listens on right now (the fixture server takes its port from PORT). */
function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}
