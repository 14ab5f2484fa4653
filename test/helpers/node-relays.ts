// Test-side wiring of the relay on harness nodes: a dockerode client over mTLS (what modelhub uses),
// the relay image made by modelhub's own code and loaded through the engine API, the relay container
// on the node, and a relay link on 127.0.0.1. Also a direct image copy for setup (host engine → node).
import Docker from "dockerode";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { relayBinary } from "../../server/nodes/relay/relay-binary.ts";
import { type RelayCerts, ensureRelayCerts } from "../../server/nodes/relay/relay-certs.ts";
import { type DeployedRelay, deployRelay } from "../../server/nodes/relay/relay-deploy.ts";
import { type RelayImage, relayImage } from "../../server/nodes/relay/relay-image.ts";
import { type RelayLink, startRelayLink } from "../../server/nodes/relay-link.ts";
import type { NodeEngine, NodeEngines } from "./node-engines.ts";

export const MODELS_NETWORK = "modelhub-models";
export const RELAY_PORT = 7443;

export function nodeDocker(h: NodeEngines, node: NodeEngine): Docker {
  return new Docker({ host: node.ip, port: 2376, protocol: "https", ca: readFileSync(h.tls.ca), cert: readFileSync(h.tls.cert), key: readFileSync(h.tls.key) });
}

let image: Promise<RelayImage> | null = null;
/** The relay image of this checkout (compiled once per process). */
export function testRelayImage(): Promise<RelayImage> {
  image ??= relayBinary().then(relayImage);
  return image;
}

export interface NodeRelay {
  docker: Docker;
  certs: RelayCerts;
  deployed: DeployedRelay;
  link: RelayLink;
}

export async function setupRelay(h: NodeEngines, node: NodeEngine, opts: { callback?: { url: string; port: number } } = {}): Promise<NodeRelay> {
  const docker = nodeDocker(h, node);
  const certs = await ensureRelayCerts(join(h.dir, `relay-${node.name}`), node.ip);
  const deployed = await deployRelay({ docker, network: MODELS_NETWORK, port: RELAY_PORT, certs, image: await testRelayImage(), callback: opts.callback });
  const link = await startRelayLink({ host: node.ip, port: RELAY_PORT, relayCert: certs.relayCert, cert: certs.clientCert, key: certs.clientKey });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await fetch(`${link.baseUrl}/_relay/ping`).catch(() => null);
    if (r?.ok) break;
    if (Date.now() > deadline) throw new Error(`relay on ${node.name} never answered: ${r ? `${r.status} ${await r.text()}` : "no answer"}`);
    await Bun.sleep(50);
  }
  return { docker, certs, deployed, link };
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
