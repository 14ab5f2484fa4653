// Starts (or keeps) the relay container on one node: the models network first (internal: no route
// off the node, so nothing on the LAN can reach a container even by routing to its address through
// the node; inter-container traffic off), the relay image loaded into the node's engine if it is not
// there, then one container on the node's host network listening on the relay port (mTLS, from
// modelhub) and on the models network's gateway at modelhub's callback port (the containers' way
// back: `host.docker.internal` is that gateway on a node). Model containers publish no port.
import { Readable } from "node:stream";
import { createHash } from "node:crypto";
import type Docker from "dockerode";
import { ICC_OPTION } from "../../runtime/container-lane.ts";
import { RELAY_ENV } from "./main.ts";
import type { RelayCerts } from "./relay-certs.ts";
import type { RelayImage } from "./relay-image.ts";

export const RELAY_LABEL = "dev.modelhub.relay";
const CONFIG_LABEL = "dev.modelhub.relay.config";
export const DEFAULT_RELAY_PORT = 7443;

export interface RelayDeployOptions {
  /** the node's engine */
  docker: Docker;
  /** the models network on the node (created if missing) */
  network: string;
  port: number;
  certs: RelayCerts;
  image: RelayImage;
  /** container name on the node */
  name?: string;
  /** where containers' callbacks go: modelhub's callback listener as the node reaches it, and its port */
  callback?: { url: string; port: number };
}

export interface DeployedRelay {
  containerId: string;
  /** the models network's subnet: the only addresses the relay forwards to */
  targetCidr: string;
  /** the models network's gateway: model containers get `host.docker.internal:<gateway>` */
  gateway: string;
}

/**
 * The models network of a node: a bridge marked internal (Docker drops forwarded traffic into and
 * out of it) with inter-container traffic off. Returns its IPv4 subnet and gateway.
 */
export async function ensureModelsNetwork(docker: Docker, name: string): Promise<{ subnet: string; gateway: string }> {
  const inspect = async () => {
    try {
      return await docker.getNetwork(name).inspect();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return null;
      throw err;
    }
  };
  let net = await inspect();
  if (net && (!net.Internal || net.Options?.[ICC_OPTION] !== "false")) {
    throw new Error(`Docker network ${name} exists on the node but is not internal with ${ICC_OPTION}=false: the relay cannot keep its containers private (remove it, and modelhub makes it again)`);
  }
  if (!net) {
    try {
      await docker.createNetwork({ Name: name, Driver: "bridge", Internal: true, CheckDuplicate: true, Options: { [ICC_OPTION]: "false" }, Labels: { [RELAY_LABEL]: "true" } });
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 409) throw err;
    }
    net = await inspect();
  }
  const v4 = (net?.IPAM?.Config ?? []).find((c: { Subnet?: string }) => c.Subnet && !c.Subnet.includes(":"));
  if (!v4?.Subnet || !v4.Gateway) throw new Error(`network ${name} has no IPv4 subnet and gateway`);
  return { subnet: v4.Subnet, gateway: v4.Gateway };
}

async function hasImage(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

/** Loads the relay image into the node's engine unless it has it (POST /images/load, streamed). */
export async function ensureRelayImage(docker: Docker, image: RelayImage): Promise<boolean> {
  if (await hasImage(docker, image.tag)) return false;
  const stream = await docker.loadImage(Readable.from(image.archive()), { quiet: true });
  let body = "";
  for await (const chunk of stream as AsyncIterable<Buffer>) body += chunk.toString();
  if (/"error"/.test(body)) throw new Error(`loading ${image.tag} failed: ${body.slice(0, 500)}`);
  if (!(await hasImage(docker, image.tag))) throw new Error(`loading ${image.tag} left no image: ${body.slice(0, 500)}`);
  return true;
}

export async function deployRelay(o: RelayDeployOptions): Promise<DeployedRelay> {
  const { docker } = o;
  const name = o.name ?? "modelhub-relay";
  const { subnet: targetCidr, gateway } = await ensureModelsNetwork(docker, o.network);
  await ensureRelayImage(docker, o.image);
  const env = {
    [RELAY_ENV.cert]: o.certs.relayCert,
    [RELAY_ENV.key]: o.certs.relayKey,
    [RELAY_ENV.clientCert]: o.certs.clientCert,
    [RELAY_ENV.listen]: `0.0.0.0:${o.port}`,
    [RELAY_ENV.targetCidr]: targetCidr,
    [RELAY_ENV.targetPort]: "5000",
    ...(o.callback ? { [RELAY_ENV.callbackListen]: `${gateway}:${o.callback.port}`, [RELAY_ENV.callbackUrl]: o.callback.url } : {}),
  };
  const configHash = createHash("sha256").update(o.image.id).update(JSON.stringify(env)).digest("hex").slice(0, 16);
  try {
    const existing = await docker.getContainer(name).inspect();
    if (existing.Config.Labels?.[CONFIG_LABEL] === configHash && existing.State.Running) return { containerId: existing.Id, targetCidr, gateway };
    await docker.getContainer(name).remove({ force: true });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
  const container = await docker.createContainer({
    name,
    Image: o.image.tag,
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: { [RELAY_LABEL]: "true", [CONFIG_LABEL]: configHash },
    HostConfig: {
      // The node's own address, and the routes to the models network's bridge.
      NetworkMode: "host",
      RestartPolicy: { Name: "unless-stopped" },
      ReadonlyRootfs: true,
      SecurityOpt: ["no-new-privileges:true"],
      CapDrop: ["ALL"],
      ...(o.port < 1024 ? { CapAdd: ["NET_BIND_SERVICE"] } : {}),
    },
  });
  await container.start();
  return { containerId: container.id, targetCidr, gateway };
}
