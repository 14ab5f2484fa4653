// The runtime seam end to end on the real engine: this machine's Docker engine added as a second
// node over its unix socket (a node on this machine publishes on 127.0.0.1 and needs no relay), with
// one simulated GPU. modelhub itself has no GPU (--gpus none), so a model that needs one must run on
// that node: the prediction succeeds there, the instance says which node it is on, the container
// carries the node's label and the GPU it was given, and stopping the model removes that container.
// Remote engines over mTLS, with the relay, are tested against the namespace harness.
// Runs only with MODELHUB_TEST_DOCKER=1.
import { afterAll, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveChild, type ServeChild } from "../helpers/serve-child.ts";
import { docker, removeContainersOf } from "./scheduler-helpers.ts";

const enabled = process.env.MODELHUB_TEST_DOCKER === "1";

async function api(c: ServeChild, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${c.url}${path}`, { method, headers: { "content-type": "application/json", ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

describe.skipIf(!enabled)("the local engine as a node, over its socket", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "modelhub-nodes-sock-"));
  let s: ServeChild;

  afterAll(async () => {
    await s?.stop();
    removeContainersOf(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("runs a GPU model on the node with the GPU, labelled with the node, and stops it there", async () => {
    s = await serveChild(dataDir, ["--gpus", "none", "--idle-timeout", "300"]);
    expect((await api(s, "POST", "/v1/models/acme/hello/versions", { image: "modelhub-test/hello:latest" })).status).toBeLessThan(300);
    expect((await api(s, "PATCH", "/v1/models/acme/hello/policy", { gpus: 1 })).status).toBe(200);

    // Without a node that has a GPU, the model cannot run anywhere: refused at once, saying why.
    const before = await api(s, "POST", "/v1/models/acme/hello/predictions", { input: { text: "x" } }, { prefer: "wait" });
    expect(before.status).toBe(503);

    const added = await api(s, "POST", "/v1/nodes", { name: "sock", engine: "unix:///var/run/docker.sock", fake_gpus: 1, labels: { kind: "test" } });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ name: "sock", state: "up", gpu_source: "fake", error: null });
    expect(added.body.gpus).toHaveLength(1);

    const p = await api(s, "POST", "/v1/models/acme/hello/predictions", { input: { text: "node" } }, { prefer: "wait" });
    expect(p.body.status).toBe("succeeded");
    expect(p.body.output).toBe("hello node");

    const inst = (await api(s, "GET", "/v1/instances")).body.instances;
    expect(inst).toHaveLength(1);
    expect(inst[0]).toMatchObject({ model: "acme/hello", node: "sock", gpus: [0] });
    const labels = JSON.parse(docker("inspect", "-f", "{{json .Config.Labels}}", inst[0].container_id).out);
    expect(labels["dev.modelhub.node"]).toBe("sock");
    expect(labels["dev.modelhub.gpus"]).toBe("0");

    const nodes = (await api(s, "GET", "/v1/nodes")).body.nodes;
    expect(nodes.map((n: { name: string; instances: number }) => [n.name, n.instances])).toEqual([["local", 0], ["sock", 1]]);

    // A node with instances is not removed by mistake.
    expect((await api(s, "DELETE", "/v1/nodes/sock")).status).toBe(409);

    const stopped = await api(s, "POST", "/v1/instances/stop", { model: "acme/hello", grace: 0 });
    expect(stopped.body.stopped).toEqual([inst[0].id]);
    expect(docker("ps", "-aq", "--filter", `id=${inst[0].container_id}`).out.trim()).toBe("");
    expect((await api(s, "DELETE", "/v1/nodes/sock")).status).toBe(204);
  }, 120_000);
});
