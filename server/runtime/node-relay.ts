// What a remote node needs so its model containers stay private (their Cog port has no
// authentication): a relay modelhub starts on the node, speaking mTLS, in front of an internal
// network the containers join, and a loopback forwarder here that the rest of modelhub speaks plain
// HTTP to. The node service asks for it when a node is added or comes back; see docs/scaling.md.
import type Docker from "dockerode";

export interface NodeRelay {
  /**
   * Makes the node ready for model containers (network and relay); idempotent. Returns the network
   * they join and, when containers reach modelhub through the relay, the address `host.docker.internal`
   * must name there (the network's gateway).
   */
  prepare(node: { name: string; engineHost: string; docker: Docker }): Promise<{ network: string; gateway?: string }>;
  /** Puts an image on the node that the GPU probe can run nvidia-smi in (the relay's own); returns its reference. */
  ensureImage?(docker: Docker): Promise<string>;
  /** modelhub-side base URL of a container on that node, e.g. http://127.0.0.1:PORT/<container-name> */
  endpoint(node: string, containerName: string): string;
  /** stops the relay's loopback side for one node (it was removed), or all of them (shutdown) */
  close(node?: string): Promise<void>;
}
