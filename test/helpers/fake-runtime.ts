// An in-memory ContainerRuntime for HTTP tests: images are whatever the test registers (with Cog
// labels), containers are records that never run a model. No Docker engine needed.
import type { ContainerEvent, ContainerExit, ContainerRuntime, ContainerSpec, ContainerState, ImageInfo } from "../../server/runtime/runtime.ts";
import { DockerUnavailableError, ImageNotFoundError } from "../../server/runtime/runtime.ts";

export class FakeRuntime implements ContainerRuntime {
  images = new Map<string, ImageInfo>();
  containers = new Map<string, { spec: ContainerSpec; running: boolean; removed: boolean }>();
  /** set false to make every call fail the way a stopped Docker engine does */
  engineUp = true;
  private seq = 0;

  /** Registers a local image `ref` with these labels; the digest defaults to one derived from ref. */
  addImage(ref: string, labels: Record<string, string>, digest = new Bun.CryptoHasher("sha256").update(ref).digest("hex")): ImageInfo {
    const info: ImageInfo = { digest, repoTags: [ref], labels, env: [], createdAt: new Date().toISOString() };
    this.images.set(ref, info);
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
    const id = `fake${++this.seq}`;
    this.containers.set(id, { spec, running: false, removed: false });
    return id;
  }
  async start(id: string): Promise<ContainerState> {
    this.up();
    const c = this.get(id);
    c.running = true;
    return this.state(id);
  }
  async inspect(id: string): Promise<ContainerState> {
    return this.state(id);
  }
  wait(): Promise<ContainerExit> {
    return new Promise(() => {});
  }
  async stop(id: string): Promise<void> {
    this.get(id).running = false;
  }
  async remove(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (c) Object.assign(c, { running: false, removed: true });
  }
  async logs(): Promise<string> {
    return "";
  }
  async list(): Promise<ContainerState[]> {
    return [...this.containers.keys()].filter((id) => !this.get(id).removed).map((id) => this.state(id));
  }
  async events(_onEvent: (e: ContainerEvent) => void): Promise<() => void> {
    return () => {};
  }

  private get(id: string) {
    const c = this.containers.get(id);
    if (!c) throw new Error(`no container ${id}`);
    return c;
  }
  private state(id: string): ContainerState {
    const c = this.get(id);
    return { id, running: c.running, status: c.running ? "running" : "exited", exitCode: null, oomKilled: false, hostPort: null, labels: c.spec.labels, startedAt: null, image: c.spec.image };
  }
}
