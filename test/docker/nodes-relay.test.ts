// The node engines harness and the relay on their own, with real engines and real containers: two
// dockerd engines in their own network namespaces (mTLS, simulated GPUs), a model container on a
// node's internal models network with no published port, reached through the relay (mTLS) and a
// relay link on 127.0.0.1; its callbacks come back through the relay; a third namespace standing for
// another host on the LAN can reach none of it. Runs only with MODELHUB_TEST_DOCKER=1 (and as root).
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type Docker from "dockerode";
import { type NodeEngines, nodeEnginesUnavailable, startNodeEngines } from "../helpers/node-engines.ts";
import { MODELS_NETWORK, type NodeRelay, RELAY_PORT, containerIp, copyImageToNode, nodeDocker, setupRelay } from "../helpers/node-relays.ts";

const docker = process.env.MODELHUB_TEST_DOCKER === "1";
const unavailable = docker ? nodeEnginesUnavailable() : null;
if (unavailable) console.warn(`skipping node engine tests: ${unavailable}`);
const IMAGE = "modelhub-test/hello:latest";

async function startModel(d: Docker, relay: NodeRelay, extra: Record<string, unknown> = {}): Promise<{ id: string; ip: string }> {
  const c = await d.createContainer({
    Image: IMAGE,
    Labels: { "dev.modelhub.test": "nodes-relay" },
    HostConfig: { NetworkMode: MODELS_NETWORK, ExtraHosts: [`host.docker.internal:${relay.gateway}`], ...extra },
  });
  await c.start();
  return { id: c.id, ip: await containerIp(d, c.id) };
}

async function ready(endpoint: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await fetch(`${endpoint}/health-check`).catch(() => null);
    if (r?.ok && ((await r.json()) as { status: string }).status === "READY") return;
    if (Date.now() > deadline) throw new Error(`${endpoint} never became READY`);
    await Bun.sleep(50);
  }
}

describe.skipIf(!docker || unavailable !== null)("node engines and the relay", () => {
  let h: NodeEngines;
  let relay: NodeRelay;
  let model: { id: string; ip: string };
  let callbackServer: ReturnType<typeof Bun.serve>;
  let callbackPort = 0;
  const webhooks: { path: string; body: { status: string; output?: unknown } }[] = [];

  beforeAll(async () => {
    const t0 = performance.now();
    h = await startNodeEngines();
    // modelhub's callback listener stands here: on the host's side of the LAN.
    callbackServer = Bun.serve({
      hostname: h.hostIp,
      port: 0,
      async fetch(req) {
        webhooks.push({ path: new URL(req.url).pathname, body: await req.json() });
        return new Response(null, { status: 200 });
      },
    });
    callbackPort = callbackServer.port ?? 0;
    const a = h.nodes[0];
    [relay] = await Promise.all([
      setupRelay(h, a, { callback: { url: `http://${h.hostIp}:${callbackPort}`, port: callbackPort } }),
      copyImageToNode(a, IMAGE),
    ]);
    model = await startModel(relay.docker, relay);
    await ready(relay.endpointFor(model.ip));
    console.log(`node engines + relay + model ready in ${Math.round(performance.now() - t0)} ms`);
  }, 180_000);

  afterAll(async () => {
    await relay?.pool.close();
    callbackServer?.stop(true);
    await h?.teardown();
  }, 60_000);

  it("engines answer modelhub's client certificate on tcp://IP:2376 and nobody else", async () => {
    const a = h.nodes[0];
    const info = await nodeDocker(h, a).info();
    expect(info.Runtimes).toHaveProperty("nvidia");
    expect(info.Images).toBeGreaterThan(0);
    const noCert = await h.runInLan(["curl", "-sS", "-m", "3", "--cacert", h.tls.ca, `https://${a.ip}:2376/_ping`]);
    expect(noCert.code).not.toBe(0);
    const plain = await h.runInLan(["curl", "-sS", "-m", "3", `http://${a.ip}:2376/_ping`]);
    expect(plain.stdout).not.toBe("OK");
  });

  it("starts engines with no images, each on its own data root", async () => {
    const b = h.nodes[1];
    expect(await nodeDocker(h, b).listImages()).toEqual([]);
    expect(h.nodes[0].socket).not.toBe(b.socket);
  });

  it("simulates the GPUs: a probe sees the node's inventory, a pinned container only its GPU", async () => {
    const a = h.nodes[0];
    const query = ["--query-gpu=uuid,name,memory.total,memory.used", "--format=csv,noheader,nounits"];
    const all = await a.docker(["run", "--rm", "--gpus", "all", "--network", "none", "--entrypoint", "/usr/bin/nvidia-smi", IMAGE, ...query]);
    expect(all.stderr).toBe("");
    expect(all.stdout.trim().split("\n")).toEqual(a.gpus.map((g) => `${g.uuid}, ${g.name}, ${g.memoryTotalMiB}, ${g.memoryUsedMiB}`));
    const pinned = a.gpus[1].uuid;
    const c = await relay.docker.createContainer({
      Image: IMAGE,
      Entrypoint: ["/usr/bin/nvidia-smi"],
      Cmd: ["--query-gpu=uuid", "--format=csv,noheader,nounits"],
      HostConfig: { NetworkMode: "none", DeviceRequests: [{ Driver: "nvidia", DeviceIDs: [pinned], Capabilities: [["gpu"]] }] },
    });
    try {
      await c.start();
      await c.wait();
      const inspect = await c.inspect();
      expect(inspect.HostConfig.DeviceRequests?.[0]?.DeviceIDs).toEqual([pinned]);
      const logs = (await c.logs({ stdout: true, stderr: true })).toString();
      expect(logs).toContain(pinned);
      expect(logs).not.toContain(a.gpus[0].uuid);
    } finally {
      await c.remove({ force: true });
    }
  });

  it("predicts through the relay link, with large bodies streamed both ways", async () => {
    const endpoint = relay.endpointFor(model.ip);
    const text = "x".repeat(3 * 1024 * 1024);
    const r = await fetch(`${endpoint}/predictions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input: { text } }) });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { status: string; output: string };
    expect(body.status).toBe("succeeded");
    expect(body.output).toBe(`hello ${text}`);
  });

  it("reaches a container by its name (the node's engine tells the link its address)", async () => {
    const name = (await relay.docker.getContainer(model.id).inspect()).Name.replace(/^\//, "");
    const r = await fetch(`${relay.endpointFor(name)}/health-check`);
    expect(((await r.json()) as { status: string }).status).toBe("READY");
  });

  it("brings the container's webhooks back to modelhub through the relay (host.docker.internal)", async () => {
    const endpoint = relay.endpointFor(model.ip);
    const webhook = `http://host.docker.internal:${callbackPort}/internal/webhooks/tok-nodes`;
    const r = await fetch(`${endpoint}/predictions/p-nodes-1`, {
      method: "PUT",
      headers: { "content-type": "application/json", Prefer: "respond-async" },
      body: JSON.stringify({ id: "p-nodes-1", input: { text: "back" }, webhook, webhook_events_filter: ["completed"] }),
    });
    expect(r.status).toBe(202);
    const deadline = Date.now() + 15_000;
    while (!webhooks.some((w) => w.body.status === "succeeded") && Date.now() < deadline) await Bun.sleep(50);
    const done = webhooks.find((w) => w.body.status === "succeeded");
    expect(done?.path).toBe("/internal/webhooks/tok-nodes");
    expect(done?.body.output).toBe("hello back");
  });

  it("forwards only to the models network and only modelhub's callbacks back", async () => {
    const r = await fetch(`${relay.endpointFor(h.hostIp)}/`);
    expect(r.status).toBe(403);
    expect(((await r.json()) as { detail: string }).detail).toContain(relay.subnet);
    expect((await fetch(`${relay.endpointFor("no-such-container")}/health-check`)).status).toBe(404);
    // From inside the model container's network, the callback side refuses anything but /internal/.
    const a = h.nodes[0];
    const probe = await h.runIn(a, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", `http://${relay.gateway}:${callbackPort}/v1/predictions`]);
    expect(probe.stdout).toBe("404");
  });

  it("another host on the LAN reaches no model container: not directly, not through the relay", async () => {
    const a = h.nodes[0];
    // Even routing the models network through the node, as a LAN host may: the network is internal.
    await h.runInLan(["ip", "route", "replace", relay.subnet, "via", a.ip]);
    const direct = await h.runInLan(["curl", "-sS", "-m", "3", `http://${model.ip}:5000/health-check`]);
    expect(direct.code).not.toBe(0);
    expect(direct.stdout).not.toContain("READY");
    // The relay wants the one client certificate it was given: none, or another one the CA signed, fails.
    const url = `https://${a.ip}:${RELAY_PORT}/${model.ip}/health-check`;
    const none = await h.runInLan(["curl", "-sSk", "-m", "3", url]);
    expect(none.code).not.toBe(0);
    const engineCert = await h.runInLan(["curl", "-sSk", "-m", "3", "--cert", h.tls.cert, "--key", h.tls.key, url]);
    expect(engineCert.code).not.toBe(0);
    expect(engineCert.stdout).not.toContain("READY");
    // …while the same request with the relay's client certificate gets through (the test is not vacuous).
    const certDir = relay.certDir;
    const ok = await h.runInLan(["curl", "-sS", "-m", "3", "--cacert", `${certDir}/relay.pem`, "--cert", `${certDir}/client.pem`, "--key", `${certDir}/client.key`, url]);
    expect(ok.stdout).toContain("READY");
  });

  it("a killed engine stops answering, the other goes on, and a restart keeps its data root", async () => {
    const [a, b] = h.nodes;
    await b.kill();
    expect(b.running()).toBe(false);
    expect(await nodeDocker(h, b).ping().then(() => "up", () => "down")).toBe("down");
    const r = await fetch(`${relay.endpointFor(model.ip)}/health-check`);
    expect(r.status).toBe(200);
    await a.docker(["tag", IMAGE, "modelhub-test/kept:latest"]);
    await a.kill();
    await a.restart();
    expect((await a.docker(["image", "inspect", "modelhub-test/kept:latest"])).code).toBe(0);
    await b.restart();
    expect(String(await nodeDocker(h, b).ping())).toBe("OK");
  }, 120_000);
});
