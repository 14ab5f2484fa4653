// The relays of every remote node, as the node service uses them: `prepare` readies a node (models
// network, relay image and container, pinned certificates, the loopback link) whenever the node is
// added or comes back; `endpoint` is the base URL modelhub speaks the Cog protocol to for one
// container there. One owner of the links: this pool.
import { join } from "node:path";
import type Docker from "dockerode";
import type { NodeRelay } from "../../runtime/node-relay.ts";
import { type RelayLink, startRelayLink } from "../relay-link.ts";
import { relayBinary } from "./relay-binary.ts";
import { ensureRelayCerts } from "./relay-certs.ts";
import { DEFAULT_RELAY_PORT, deployRelay, ensureRelayImage } from "./relay-deploy.ts";
import { type RelayBinary, type RelayImage, relayImage } from "./relay-image.ts";
import { RELAY_PING_PATH } from "./relay-server.ts";

export const MODELS_NETWORK = "modelhub-models";

export interface RelayPoolOptions {
  /** modelhub's data folder: the relay certificates live under nodes/<name>/relay/ */
  dataDir: string;
  /** the relay's TLS port on every node (default 7443) */
  port?: number;
  /** the models network on every node (default modelhub-models) */
  network?: string;
  /** the relay container's name on every node (default modelhub-relay) */
  containerName?: string;
  /**
   * modelhub's callback listener as nodes reach it, and the port containers' callback URLs name; a
   * function when it is known only once the listener is open (asked at each prepare)
   */
  callback?: RelayCallback | (() => RelayCallback | undefined);
  /** which executable becomes the relay image (default: this modelhub) */
  binary?: () => Promise<RelayBinary>;
  /** how long a freshly started relay may take to answer (ms, default 30 s) */
  readyTimeoutMs?: number;
}

export interface RelayCallback {
  url: string;
  port: number;
}

interface Prepared {
  link: RelayLink;
  host: string;
  gateway: string;
  docker: Docker;
}

/** How often the links close the listeners of containers that are gone, and after how long idle. */
const SWEEP_EVERY_MS = 60_000;

/** "tcp://10.0.0.7:2376" → "10.0.0.7" (also a bare host, or a bracketed IPv6 address). */
export function engineHostName(engine: string): string {
  const u = new URL(engine.replace(/^tcp:/, "http:").replace(/^(?!\w+:\/\/)/, "http://"));
  return u.hostname.replace(/^\[|\]$/g, "");
}

export class RelayPool implements NodeRelay {
  private image: Promise<RelayImage> | null = null;
  private readonly prepared = new Map<string, Prepared>();
  private sweeper: ReturnType<typeof setInterval> | null = null;
  private readonly port: number;
  readonly network: string;

  constructor(private readonly o: RelayPoolOptions) {
    this.port = o.port ?? DEFAULT_RELAY_PORT;
    this.network = o.network ?? MODELS_NETWORK;
  }

  /** The relay image (made once per process). */
  relayImage(): Promise<RelayImage> {
    this.image ??= (this.o.binary ?? (() => relayBinary()))().then(relayImage);
    this.image.catch(() => (this.image = null));
    return this.image;
  }

  /** Puts the relay image on a node without starting anything (e.g. for the GPU probe). Returns its tag. */
  async ensureImage(docker: Docker): Promise<string> {
    const image = await this.relayImage();
    await ensureRelayImage(docker, image);
    return image.tag;
  }

  async prepare(node: { name: string; engineHost: string; docker: Docker }): Promise<{ network: string; gateway: string }> {
    const host = engineHostName(node.engineHost);
    const certs = await ensureRelayCerts(join(this.o.dataDir, "nodes", node.name, "relay"), host);
    const deployed = await deployRelay({ docker: node.docker, network: this.network, port: this.port, certs, image: await this.relayImage(), name: this.o.containerName, callback: typeof this.o.callback === "function" ? this.o.callback() : this.o.callback });
    const known = this.prepared.get(node.name);
    if (known && known.host !== host) await this.close(node.name);
    let p = this.prepared.get(node.name);
    if (!p) {
      const docker = node.docker;
      const network = this.network;
      const link = await startRelayLink({
        host,
        port: this.port,
        relayCert: certs.relayCert,
        cert: certs.clientCert,
        key: certs.clientKey,
        async resolve(name) {
          const info = await docker.getContainer(name).inspect();
          const ip = info.NetworkSettings.Networks?.[network]?.IPAddress;
          if (!ip) throw new Error(`not on ${network}`);
          return ip;
        },
      });
      p = { link, host, gateway: deployed.gateway, docker };
      this.prepared.set(node.name, p);
      this.startSweeping();
    }
    p.gateway = deployed.gateway;
    p.docker = node.docker;
    await this.waitReady(node.name, p.link);
    return { network: this.network, gateway: deployed.gateway };
  }

  private async waitReady(name: string, link: RelayLink): Promise<void> {
    const deadline = Date.now() + (this.o.readyTimeoutMs ?? 30_000);
    let last = "";
    while (Date.now() < deadline) {
      const r = await fetch(link.baseUrl + RELAY_PING_PATH).catch((e: Error) => e);
      if (r instanceof Response && r.ok) return;
      last = r instanceof Response ? `${r.status} ${await r.text()}` : r.message;
      await Bun.sleep(100);
    }
    throw new Error(`the relay on node ${name} does not answer: ${last}`);
  }

  private startSweeping(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => {
      for (const p of this.prepared.values()) {
        const exists = (name: string) =>
          p.docker
            .getContainer(name)
            .inspect()
            .then(
              () => true,
              (err: { statusCode?: number }) => err.statusCode !== 404,
            );
        void p.link.sweep(exists, SWEEP_EVERY_MS).catch(() => {});
      }
    }, SWEEP_EVERY_MS);
    this.sweeper.unref?.();
  }

  endpoint(node: string, containerName: string): string {
    const p = this.prepared.get(node);
    if (!p) throw new Error(`node ${node} has no relay yet`);
    return p.link.endpointFor(containerName);
  }

  /** The gateway model containers on a node reach modelhub through (`host.docker.internal`). */
  gateway(node: string): string | null {
    return this.prepared.get(node)?.gateway ?? null;
  }

  async close(node?: string): Promise<void> {
    const names = node === undefined ? [...this.prepared.keys()] : [node];
    if (node === undefined && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
    for (const n of names) {
      const p = this.prepared.get(n);
      this.prepared.delete(n);
      await p?.link.close();
    }
  }
}
