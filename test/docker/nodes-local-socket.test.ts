// The runtime seam end to end on the real engine: this machine's Docker engine added as a second
// node over its unix socket (a node on this machine publishes on 127.0.0.1 and needs no relay), with
// one simulated GPU. modelhub itself has no GPU (--gpus none), so a model that needs one must run on
// that node: the prediction succeeds there, the instance says which node it is on, the container
// carries the node's label and the GPU it was given, and stopping the model removes that container.
// Remote engines over mTLS, with the relay, are tested against the namespace harness.
// Runs only with MODELHUB_TEST_DOCKER=1.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { serveChild, type ServeChild } from "../helpers/serve-child.ts";
import { docker, removeContainersOf, until } from "./scheduler-helpers.ts";

const enabled = process.env.MODELHUB_TEST_DOCKER === "1";

/** The real engine's socket behind one the test can switch off (piped both ways, with backpressure: image lists are large). */
function switchableSocket(path: string, target = "/var/run/docker.sock") {
  let server: Server | null = null;
  const open = new Set<Socket>();
  const up = () => {
    if (server) return;
    rmSync(path, { force: true });
    server = createServer((client) => {
      const upstream = createConnection(target);
      for (const s of [client, upstream]) {
        open.add(s);
        s.on("close", () => open.delete(s));
        s.on("error", () => {});
      }
      client.pipe(upstream).on("close", () => client.destroy());
      upstream.pipe(client).on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
      client.on("close", () => upstream.destroy());
    }).listen(path);
  };
  const down = () => {
    server?.close();
    server = null;
    for (const s of open) s.destroy();
    open.clear();
    rmSync(path, { force: true });
  };
  return { path, up, down };
}

async function api(c: ServeChild, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${c.url}${path}`, { method, headers: { "content-type": "application/json", ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

describe.skipIf(!enabled)("the local engine as a node, over its socket", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "modelhub-nodes-sock-"));
  let s: ServeChild;

  beforeAll(async () => {
    s = await serveChild(dataDir, ["--gpus", "none", "--idle-timeout", "300", "--node-check-interval", "1", "--log-level", "info", "--node-callback-url", "http://127.0.0.1:0"]);
  }, 60_000);

  afterAll(async () => {
    await s?.stop();
    removeContainersOf(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("runs a GPU model on the node with the GPU, labelled with the node, and stops it there", async () => {
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

  it("a node that stops answering: its running prediction fails naming it, queued work waits, and when it is back its containers are reconciled and work runs there again", async () => {
    // The same engine behind a socket the test can switch off: the node "flaky" stops answering.
    const proxy = switchableSocket(join(dataDir, "engine.sock"));
    proxy.up();
    try {
      expect((await api(s, "POST", "/v1/nodes", { name: "flaky", engine: `unix://${proxy.path}`, fake_gpus: 1 })).body.state).toBe("up");
      expect((await api(s, "POST", "/v1/models/acme/slow/versions", { image: "modelhub-test/slow:latest" })).status).toBeLessThan(300);
      expect((await api(s, "PATCH", "/v1/models/acme/slow/policy", { gpus: 1 })).status).toBe(200);

      const running = (await api(s, "POST", "/v1/models/acme/slow/predictions", { input: { seconds: 60 } })).body;
      await until("the long prediction to run on flaky", async () => (await api(s, "GET", `/v1/predictions/${running.id}`)).body.status === "processing");
      const inst = (await api(s, "GET", "/v1/instances")).body.instances.find((i: { model: string }) => i.model === "acme/slow");
      expect(inst.node).toBe("flaky");

      proxy.down();
      const failed = await until("the running prediction to fail", async () => {
        const p = (await api(s, "GET", `/v1/predictions/${running.id}`)).body;
        return p.status === "failed" ? p : null;
      });
      expect(failed.error).toContain("node flaky stopped answering");
      const flaky = (await api(s, "GET", "/v1/nodes")).body.nodes.find((n: { name: string }) => n.name === "flaky");
      expect(flaky).toMatchObject({ state: "down", instances: 0 });
      expect(flaky.error).toContain("Cannot reach the Docker engine");

      // New work avoids it: with no other node that has a GPU, it waits in the queue.
      const queued = (await api(s, "POST", "/v1/models/acme/slow/predictions", { input: { seconds: 1 } })).body;
      await Bun.sleep(1_500);
      expect((await api(s, "GET", `/v1/predictions/${queued.id}`)).body.status).toBe("starting");

      // Back: the container it left (still busy with the lost prediction) is found by label and removed; the queued one runs there.
      proxy.up();
      const done = await until("the queued prediction to finish", async () => {
        const p = (await api(s, "GET", `/v1/predictions/${queued.id}`)).body;
        return p.status === "succeeded" || p.status === "failed" ? p : null;
      });
      expect(done.status).toBe("succeeded");
      expect(docker("ps", "-aq", "--filter", `id=${inst.container_id}`).out.trim()).toBe("");
      const now = (await api(s, "GET", "/v1/instances")).body.instances.find((i: { model: string }) => i.model === "acme/slow");
      expect(now.node).toBe("flaky");
    } finally {
      proxy.down();
    }
  }, 180_000);

  it("listens for callbacks of containers on other machines at --node-callback-url, with the callback routes only", async () => {
    const url = /listening for callbacks of containers on other machines url=(\S+)/.exec(s.stderr())?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // An unknown capability token: the callback listener's own 404, not the API (which is elsewhere).
    expect((await fetch(`${url}/internal/webhooks/not-a-token`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status).toBe(404);
    expect((await fetch(`${url}/v1/models`)).status).toBe(404);
  });
});
