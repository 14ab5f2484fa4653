// The default bridge network's gateway: the host address containers reach as
// host.docker.internal (host-gateway). modelhub's callback listener binds to it.
import Docker from "dockerode";
import { dockerOptions } from "./docker.ts";

export async function bridgeGateway(dockerHost: string): Promise<string | null> {
  const net = await new Docker(dockerOptions(dockerHost)).getNetwork("bridge").inspect();
  const configs = (net.IPAM?.Config ?? []) as { Gateway?: string; Subnet?: string }[];
  const gw = configs.find((c) => c.Gateway && !c.Gateway.includes(":"))?.Gateway;
  if (gw) return gw.split("/")[0];
  // Some engines leave Gateway out of IPAM: the default bridge takes the subnet's first address.
  const subnet = configs.find((c) => c.Subnet && !c.Subnet.includes(":"))?.Subnet;
  if (!subnet) return null;
  const o = subnet.split("/")[0].split(".").map(Number);
  o[3] += 1;
  return o.join(".");
}
