// /v1/nodes (admin): the machines whose Docker engines models run on. List, add (checked once before
// the answer), drain (no new work) and remove. Thin: the node service does the work.
import { Elysia } from "elysia";
import { NodeCreate, NodeDrain } from "../../contract/wire-nodes.ts";
import { AppError } from "../../errors.ts";
import type { NodeService, NodeStatus } from "../../nodes/node-service.ts";
import type { HttpDeps } from "../http-context.ts";
import { json, noContent } from "../respond.ts";
import { readBody } from "../transport/body.ts";

export const presentNode = (n: NodeStatus) => ({
  name: n.name,
  engine: n.engine,
  state: n.state,
  labels: n.labels,
  gpus: n.gpus.map((g) => ({ index: g.index, uuid: g.uuid, name: g.name, memory_total_mib: g.memoryTotalMiB, memory_used_mib: g.memoryUsedMiB, simulated: g.simulated })),
  gpu_source: n.gpuSource,
  cpus: n.cpus,
  memory_bytes: n.memoryBytes,
  instances: n.instances,
  last_seen_at: n.lastSeenAt,
  error: n.error,
  note: n.note,
});

export function nodeRoutes(d: HttpDeps, nodes: NodeService) {
  return new Elysia({ name: "v1-nodes" })
    .get("/v1/nodes", () => json({ nodes: nodes.list().map(presentNode) }))
    .get("/v1/nodes/:name", ({ params }) => json(presentNode(nodes.get(params.name))))
    .post("/v1/nodes", async ({ request }) => {
      const b = await readBody(request, NodeCreate, d.maxJsonBytes);
      return json(presentNode(await nodes.add(b)), 201);
    })
    .post("/v1/nodes/:name/drain", async ({ request, params }) => {
      // The body is optional: an empty POST drains.
      const b = request.headers.get("content-length") === "0" || !request.body ? {} : await readBody(request, NodeDrain, d.maxJsonBytes);
      return json(presentNode(nodes.drain(params.name, b.drained ?? true)));
    })
    .delete("/v1/nodes/:name", async ({ params, query }) => {
      const force = query.force === "1" || query.force === "true";
      if (query.force !== undefined && !["0", "1", "true", "false"].includes(String(query.force)))
        throw new AppError(422, "Invalid input", "force is 1 or 0");
      await nodes.remove(params.name, force);
      return noContent();
    });
}
