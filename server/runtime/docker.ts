// ContainerRuntime over dockerode: loopback-only port publishing, GPU device requests, managed labels.
import Docker from "dockerode";
import modemHttp from "docker-modem/lib/http.js";
import { mapDockerError } from "./docker-errors.ts";
import { LineBuffer } from "./ndjson-lines.ts";
import { escapeImageReference, parseImageReference } from "./image-ref.ts";
import { type ContainerLane, ensureNetwork, laneHostConfig } from "./container-lane.ts";
import {
  type ContainerEvent,
  type ContainerExit,
  type ContainerRuntime,
  type ContainerSpec,
  type ContainerState,
  type GpuRequest,
  type ImageInfo,
  InvalidImageReferenceError,
  MANAGED_LABEL,
} from "./runtime.ts";

const COG_PORT = "5000/tcp";

// docker-modem follows up to 5 redirects by default, to wherever a Location points. The engine has no
// reason to redirect modelhub anywhere: a 3xx is an error, never a request to another host.
(modemHttp as { maxRedirects: number }).maxRedirects = 0;

/** The client side of an engine's mTLS (`dockerd --tlsverify`): PEM contents, not paths. */
export interface EngineTls {
  ca: string;
  cert: string;
  key: string;
}

export function dockerOptions(dockerHost: string, tls?: EngineTls): Docker.DockerOptions {
  if (dockerHost.startsWith("unix://")) return { socketPath: dockerHost.slice("unix://".length) };
  if (dockerHost.startsWith("/")) return { socketPath: dockerHost };
  const u = new URL(dockerHost.replace(/^tcp:/, "http:"));
  // With certificates the engine is spoken to over TLS, checking its certificate against the CA and showing ours.
  if (tls) return { host: u.hostname, port: Number(u.port || 2376), protocol: "https", ca: tls.ca, cert: tls.cert, key: tls.key };
  return { host: u.hostname, port: Number(u.port || 2375), protocol: u.protocol === "https:" ? "https" : "http" };
}

/** How an engine is reached and whether containers publish their port (not on a node whose relay fronts them). */
export interface EngineOptions {
  tls?: EngineTls;
  /** publish port 5000 on the engine's 127.0.0.1 (default true: the engine is on this machine) */
  publish?: boolean;
}

/** Docker's form of `--gpus`: the nvidia driver with either every device or the listed ones. */
export function deviceRequests(gpus: GpuRequest) {
  if (gpus.kind === "none") return [];
  return [{
    Driver: "nvidia",
    Count: gpus.kind === "all" ? -1 : 0,
    DeviceIDs: gpus.kind === "devices" ? gpus.ids : undefined,
    Capabilities: [["gpu"]],
  }];
}

function toState(info: Docker.ContainerInspectInfo): ContainerState {
  const binding = info.NetworkSettings?.Ports?.[COG_PORT]?.find((b) => b.HostIp === "127.0.0.1") ?? info.NetworkSettings?.Ports?.[COG_PORT]?.[0];
  return {
    id: info.Id,
    running: info.State.Running,
    status: info.State.Status,
    exitCode: info.State.Running ? null : info.State.ExitCode,
    oomKilled: info.State.OOMKilled,
    hostPort: binding ? Number(binding.HostPort) : null,
    labels: info.Config.Labels ?? {},
    startedAt: info.State.StartedAt && !info.State.StartedAt.startsWith("0001") ? info.State.StartedAt : null,
    image: info.Config.Image,
    name: info.Name?.replace(/^\//, ""),
  };
}

const NO_LANE: ContainerLane = { network: "", memoryBytes: 0, cpus: 0, pids: 0 };

export class DockerRuntime implements ContainerRuntime {
  private docker: Docker;
  private network: Promise<void> | null = null;
  constructor(
    private dockerHost: string,
    private lane: ContainerLane = NO_LANE,
    private warn: (message: string) => void = () => {},
    private engine: EngineOptions = {},
  ) {
    this.docker = new Docker(dockerOptions(dockerHost, engine.tls));
  }

  /** The lane's network, made on the first container (again after a failure, e.g. the engine was down). */
  private ensureLane(): Promise<void> {
    if (!this.lane.network) return Promise.resolve();
    this.network ??= ensureNetwork(this.docker, this.lane.network).then(
      (warning) => void (warning && this.warn(warning)),
      (err) => {
        this.network = null;
        throw err;
      },
    );
    return this.network;
  }

  private fail(err: unknown, subject?: string): never {
    throw mapDockerError(err, this.dockerHost, subject);
  }

  async ping(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (err) {
      this.fail(err);
    }
  }

  async inspectImage(ref: string): Promise<ImageInfo> {
    try {
      const parsed = parseImageReference(ref);
      if ("error" in parsed) throw new InvalidImageReferenceError(parsed.error);
      const info = await this.docker.getImage(escapeImageReference(ref)).inspect();
      return {
        digest: info.Id.replace(/^sha256:/, ""),
        repoTags: info.RepoTags ?? [],
        labels: info.Config?.Labels ?? {},
        env: info.Config?.Env ?? [],
        createdAt: info.Created,
      };
    } catch (err) {
      if (err instanceof InvalidImageReferenceError) throw err;
      this.fail(err, ref);
    }
  }

  async create(spec: ContainerSpec): Promise<string> {
    try {
      await this.ensureLane();
      const container = await this.docker.createContainer({
        name: spec.name,
        Image: spec.image,
        Env: spec.env,
        Cmd: spec.cmd,
        Labels: { ...spec.labels, [MANAGED_LABEL]: "true" },
        ExposedPorts: { [COG_PORT]: {} },
        HostConfig: {
          // Loopback only: a model container is never reachable from the LAN.
          ...(this.engine.publish === false ? {} : { PortBindings: { [COG_PORT]: [{ HostIp: "127.0.0.1", HostPort: "" }] } }),
          ShmSize: spec.shmSizeBytes,
          DeviceRequests: deviceRequests(spec.gpus),
          ExtraHosts: spec.extraHosts,
          ...laneHostConfig(spec.limits ? { ...this.lane, ...spec.limits } : this.lane),
        },
      });
      return container.id;
    } catch (err) {
      this.fail(err, spec.image);
    }
  }

  async start(id: string): Promise<ContainerState> {
    const container = this.docker.getContainer(id);
    try {
      await container.start();
      return toState(await container.inspect());
    } catch (err) {
      // A container that cannot start (e.g. no GPU driver) would otherwise pile up as "created".
      await container.remove({ force: true }).catch(() => {});
      this.fail(err, id);
    }
  }

  async inspect(id: string): Promise<ContainerState> {
    try {
      return toState(await this.docker.getContainer(id).inspect());
    } catch (err) {
      this.fail(err, id);
    }
  }

  async wait(id: string): Promise<ContainerExit> {
    try {
      const res = (await this.docker.getContainer(id).wait()) as { StatusCode: number };
      let oomKilled = false;
      try {
        oomKilled = (await this.docker.getContainer(id).inspect()).State.OOMKilled;
      } catch {
        // already removed: the exit code is all we have
      }
      return { exitCode: res.StatusCode, oomKilled };
    } catch (err) {
      this.fail(err, id);
    }
  }

  async stop(id: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: timeoutSeconds });
    } catch (err) {
      const e = err as { statusCode?: number };
      if (e.statusCode === 304 || e.statusCode === 404) return; // already stopped or gone
      this.fail(err, id);
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      const e = err as { statusCode?: number };
      if (e.statusCode === 404 || e.statusCode === 409) return; // gone, or removal already in progress
      this.fail(err, id);
    }
  }

  async logs(id: string, tailLines = 1000): Promise<string> {
    try {
      const buf: Buffer = await this.docker.getContainer(id).logs({ stdout: true, stderr: true, tail: tailLines, follow: false });
      return demuxLogs(buf);
    } catch (err) {
      this.fail(err, id);
    }
  }

  async list(labels: Record<string, string>): Promise<ContainerState[]> {
    try {
      const filters = { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) };
      const items = await this.docker.listContainers({ all: true, filters: JSON.stringify(filters) });
      const out: ContainerState[] = [];
      for (const c of items) {
        try {
          out.push(toState(await this.docker.getContainer(c.Id).inspect()));
        } catch {
          // removed between list and inspect
        }
      }
      return out;
    } catch (err) {
      this.fail(err);
    }
  }

  async stats(id: string): Promise<{ memoryBytes: number; peakBytes?: number }> {
    try {
      // one-shot skips the second sample docker needs for CPU percentages: a memory reading costs ~10 ms, not ~1 s.
      const s = (await this.docker.getContainer(id).stats({ stream: false, "one-shot": true } as { stream: false })) as {
        memory_stats?: { usage?: number; max_usage?: number; stats?: Record<string, number> };
      };
      const m = s.memory_stats ?? {};
      // Like `docker stats`: usage minus page cache (cgroup v2 "inactive_file", v1 "total_inactive_file").
      const cache = m.stats?.inactive_file ?? m.stats?.total_inactive_file ?? 0;
      // cgroup v1 also keeps the true peak (max_usage); v2 does not, so callers keep the highest sample.
      return { memoryBytes: Math.max(0, (m.usage ?? 0) - cache), peakBytes: m.max_usage };
    } catch (err) {
      this.fail(err, id);
    }
  }

  async events(onEvent: (e: ContainerEvent) => void, onError?: (err: Error) => void): Promise<() => void> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = (await this.docker.getEvents({
        filters: JSON.stringify({ type: ["container"], label: [`${MANAGED_LABEL}=true`] }),
      })) as NodeJS.ReadableStream;
    } catch (err) {
      this.fail(err);
    }
    const lines = new LineBuffer();
    stream.on("data", (chunk: Buffer) => {
      for (const line of lines.push(chunk)) {
        const ev = parseContainerEvent(line);
        if (ev) onEvent(ev);
      }
    });
    stream.on("error", (err: Error) => onError?.(mapDockerError(err, this.dockerHost)));
    stream.on("end", () => onError?.(mapDockerError(Object.assign(new Error("event stream ended"), { code: "ECONNRESET" }), this.dockerHost)));
    // The event stream is an http.IncomingMessage; the typings only promise a ReadableStream.
    return () => {
      if ("destroy" in stream && typeof stream.destroy === "function") stream.destroy();
    };
  }
}

/** One line of the engine's event stream as a ContainerEvent; null for a line that is not one. */
export function parseContainerEvent(line: string): ContainerEvent | null {
  try {
    const ev = JSON.parse(line) as { Action: string; id?: string; Actor?: { ID: string; Attributes?: Record<string, string> } };
    const action = ev.Action.split(":")[0] as ContainerEvent["action"];
    const attrs = ev.Actor?.Attributes ?? {};
    return {
      containerId: ev.Actor?.ID ?? ev.id ?? "",
      action,
      exitCode: attrs.exitCode !== undefined ? Number(attrs.exitCode) : null,
      labels: attrs,
    };
  } catch {
    return null; // a foreign line: skip it
  }
}

/** Docker multiplexes stdout/stderr in 8-byte-header frames when the container has no TTY. */
export function demuxLogs(buf: Buffer | string): string {
  if (typeof buf === "string") return buf;
  const parts: string[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const type = buf[i];
    const size = buf.readUInt32BE(i + 4);
    if (type > 2 || buf[i + 1] !== 0 || i + 8 + size > buf.length) return buf.toString("utf8"); // not multiplexed
    parts.push(buf.subarray(i + 8, i + 8 + size).toString("utf8"));
    i += 8 + size;
  }
  return parts.join("");
}
