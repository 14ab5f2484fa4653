// Placement across nodes, pure: which node (and which of its GPUs) a new instance gets. Each node is
// placed on as one machine by choosePlacement (placement.ts); this picks among the answers: a pinned
// node or labels first, then free GPUs anywhere (the node that already has the image, then the one
// with most free memory), then evicting the least recently used idle instance. Drained and down
// nodes get no new work. With one node the answer is exactly that node's.
import type { NodeView } from "../runtime/runtime-node.ts";
import { choosePlacement, type PlacedInstance, type Placement, type PlacementRequest } from "./placement.ts";

export interface NodePlacementRequest extends PlacementRequest {
  /** run only on this node */
  node?: string;
  /** run only on nodes carrying every one of these labels */
  nodeLabels?: Record<string, string>;
  /** the image ("sha256:…"): a node that has it starts sooner */
  image?: string;
}

/** An instance as placement sees it, with the node it runs on. */
export interface NodePlacedInstance extends PlacedInstance {
  node: string;
}

export type NodePlacement =
  | { kind: "place"; node: string; gpus: number[] }
  | { kind: "evict"; node: string; instanceIds: string[]; gpus: number[] }
  | { kind: "wait"; reason: string }
  | { kind: "impossible"; reason: string };

export function chooseNodePlacement(
  nodes: readonly NodeView[],
  instances: readonly NodePlacedInstance[],
  request: NodePlacementRequest,
): NodePlacement {
  const labels = Object.entries(request.nodeLabels ?? {});
  const matching = nodes.filter((n) => (!request.node || n.name === request.node) && labels.every(([k, v]) => n.labels[k] === v));
  if (matching.length === 0) {
    if (request.node) return { kind: "impossible", reason: `is pinned to node ${request.node}, which modelhub does not know (see modelhub nodes ls)` };
    if (labels.length) return { kind: "impossible", reason: `needs a node labelled ${labels.map(([k, v]) => `${k}=${v}`).join(", ")} and none is` };
    return { kind: "impossible", reason: "has no node to run on" };
  }
  const open = matching.filter((n) => n.state === "up");
  const closed = matching.filter((n) => n.state !== "up");
  const closedText = closed.map((n) => `${n.name} is ${n.state === "down" ? "down" : "drained"}`).join(", ");
  if (open.length === 0) return { kind: "wait", reason: `no node takes new work (${closedText})` };
  const answers = open.map((n) => ({ node: n, p: choosePlacement(n.gpus, instances.filter((i) => i.node === n.name), request) }));
  if (answers.length === 1 && closed.length === 0) return withNode(answers[0].node.name, answers[0].p);

  const byPreference = (a: NodeView, b: NodeView) =>
    hasImage(b, request.image) - hasImage(a, request.image) || b.freeMemoryBytes - a.freeMemoryBytes || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

  const places = answers.filter((a) => a.p.kind === "place").sort((a, b) => byPreference(a.node, b.node));
  if (places.length) return withNode(places[0].node.name, places[0].p);

  // Among nodes that must evict, the one whose most recently used victim was used longest ago.
  const newestVictim = (p: Placement) =>
    p.kind === "evict" ? Math.max(...p.instanceIds.map((id) => instances.find((i) => i.id === id)?.lastUsedAt ?? 0)) : Infinity;
  const evicts = answers
    .filter((a) => a.p.kind === "evict")
    .sort((a, b) => newestVictim(a.p) - newestVictim(b.p) || byPreference(a.node, b.node));
  if (evicts.length) return withNode(evicts[0].node.name, evicts[0].p);

  const reasons = answers.map((a) => `on ${a.node.name}: ${"reason" in a.p ? a.p.reason : a.p.kind}`).join("; ");
  if (answers.some((a) => a.p.kind === "wait")) return { kind: "wait", reason: reasons };
  // A node that is down or drained may be the one that fits: wait for it rather than refuse.
  if (closed.length) return { kind: "wait", reason: `${reasons}; no other node takes new work (${closedText})` };
  return { kind: "impossible", reason: reasons };
}

function withNode(node: string, p: Placement): NodePlacement {
  if (p.kind === "place") return { kind: "place", node, gpus: p.gpus };
  if (p.kind === "evict") return { kind: "evict", node, instanceIds: p.instanceIds, gpus: p.gpus };
  return p;
}

function hasImage(n: NodeView, image: string | undefined): number {
  return image && n.hasImage?.(image) ? 1 : 0;
}
