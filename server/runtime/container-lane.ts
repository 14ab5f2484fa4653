// What keeps a model container in its lane: a bridge network of modelhub's own with inter-container
// traffic off (a container cannot reach another's port 5000), resource limits, no new privileges.
// The network is made once per engine and shared by every modelhub on it; making it is idempotent.
import type Docker from "dockerode";
import { type ContainerLimits, MANAGED_LABEL } from "./runtime.ts";

/** The limits here are the server-wide defaults; a container's own (its model's policy) replace them. */
export interface ContainerLane extends ContainerLimits {
  /** Docker network name; "" = the engine's default bridge (no isolation) */
  network: string;
}

export const ICC_OPTION = "com.docker.network.bridge.enable_icc";

/** The HostConfig fields the lane sets on every model container. */
export function laneHostConfig(lane: ContainerLane): Record<string, unknown> {
  return {
    ...(lane.network ? { NetworkMode: lane.network } : {}),
    ...(lane.memoryBytes > 0 ? { Memory: lane.memoryBytes } : {}),
    ...(lane.cpus > 0 ? { NanoCpus: Math.round(lane.cpus * 1e9) } : {}),
    ...(lane.pids > 0 ? { PidsLimit: lane.pids } : {}),
    // A process in the container cannot gain privileges (setuid binaries, file capabilities).
    SecurityOpt: ["no-new-privileges:true"],
  };
}

/**
 * Makes `name` a bridge network with inter-container traffic off, unless it exists. Another modelhub
 * (or a test run) may create it at the same moment: a 409 means it exists now. Returns a warning
 * when an existing network of that name lets containers talk to each other.
 */
export async function ensureNetwork(docker: Docker, name: string): Promise<string | null> {
  const find = async () => (await docker.listNetworks({ filters: JSON.stringify({ name: [name] }) })).find((n) => n.Name === name);
  let net = await find();
  if (!net) {
    try {
      await docker.createNetwork({ Name: name, Driver: "bridge", CheckDuplicate: true, Options: { [ICC_OPTION]: "false" }, Labels: { [MANAGED_LABEL]: "true" } });
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 409) throw err;
    }
    net = await find();
  }
  if (!net) throw new Error(`Docker network ${name} could not be created`);
  if (net.Driver !== "bridge" || net.Options?.[ICC_OPTION] !== "false")
    return `Docker network ${name} exists without ${ICC_OPTION}=false: model containers on it can reach each other (remove it, and modelhub makes it again)`;
  return null;
}
