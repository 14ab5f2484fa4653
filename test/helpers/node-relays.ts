// Test-side wiring of the relay on harness nodes: a dockerode client over mTLS (what modelhub uses),
// the relay image made by modelhub's own code and loaded through the engine API, the relay container
// on the node, and a relay link on 127.0.0.1. Also a direct image copy for setup (host engine → node).
import Docker from "dockerode";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { MODELS_NETWORK, RelayPool } from "../../server/nodes/relay/relay-pool.ts";
import type { NodeEngine, NodeEngines } from "./node-engines.ts";

export { MODELS_NETWORK };
export const RELAY_PORT = 7443;

export function nodeDocker(h: NodeEngines, node: NodeEngine): Docker {
  return new Docker({ host: node.ip, port: 2376, protocol: "https", ca: readFileSync(h.tls.ca), cert: readFileSync(h.tls.cert), key: readFileSync(h.tls.key) });
}

export interface NodeRelay {
  docker: Docker;
  pool: RelayPool;
  /** the models network's gateway: host.docker.internal for its containers */
  gateway: string;
  /** the models network's subnet */
  subnet: string;
  /** where the pinned relay certificates are (relay.pem, client.pem, client.key) */
  certDir: string;
  /** base URL of a container (name or IP) through the relay link */
  endpointFor(container: string): string;
}

/** Readies a node the way the node service does: RelayPool.prepare over the engine's mTLS API. */
export async function setupRelay(
  h: NodeEngines,
  node: NodeEngine,
  opts: { callback?: { url: string; port: number }; pool?: RelayPool; port?: number; containerName?: string } = {},
): Promise<NodeRelay> {
  const docker = nodeDocker(h, node);
  const pool = opts.pool ?? new RelayPool({ dataDir: h.dir, callback: opts.callback, port: opts.port, containerName: opts.containerName });
  const { network, gateway } = await pool.prepare({ name: node.name, engineHost: node.engineUrl, docker });
  const net = await docker.getNetwork(network).inspect();
  const subnet = net.IPAM?.Config?.find((c: { Subnet?: string }) => c.Subnet && !c.Subnet.includes(":"))?.Subnet ?? "";
  return { docker, pool, gateway, subnet, certDir: join(h.dir, "nodes", node.name, "relay"), endpointFor: (c) => pool.endpoint(node.name, c) };
}

/** Setup shortcut: `docker save` on the host engine into the node's `docker load` (unix socket). */
export async function copyImageToNode(node: NodeEngine, ref: string): Promise<void> {
  const save = Bun.spawn(["docker", "save", ref], { stdout: "pipe", stderr: "ignore" });
  const r = await node.docker(["load", "-q"], { stdin: save.stdout });
  if (r.code !== 0) throw new Error(`loading ${ref} into ${node.name} failed: ${r.stderr}`);
}

/** The address of a container on the models network of its node. */
export async function containerIp(docker: Docker, id: string): Promise<string> {
  const info = await docker.getContainer(id).inspect();
  const ip = info.NetworkSettings.Networks[MODELS_NETWORK]?.IPAddress;
  if (!ip) throw new Error(`container ${id} has no address on ${MODELS_NETWORK}`);
  return ip;
}
