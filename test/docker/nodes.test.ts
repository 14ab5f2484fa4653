// modelhub across machines, end to end: a real `modelhub serve` (with no GPU of its own) and two
// GPU machines standing in as dockerd engines in their own network namespaces (mTLS on :2376,
// simulated NVIDIA toolkit, no images at first), plus a third namespace for another host on the LAN.
// Everything goes through modelhub's API: nodes added over mTLS, their relays prepared, images
// streamed to them, containers started with pinned GPUs, predictions through each node's relay,
// idle stops, a killed engine and its return. Assertions look at each node's own engine.
// Runs only with MODELHUB_TEST_DOCKER=1, as root (skipped, saying why, where namespaces or dockerd
// are not available; CI has them).
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type NodeEngine, type NodeEngines, nodeEnginesUnavailable, startNodeEngines } from "../helpers/node-engines.ts";
import { MODELS_NETWORK } from "../helpers/node-relays.ts";
import { serveChild, type ServeChild } from "../helpers/serve-child.ts";
import { until } from "../helpers/until.ts";

const enabled = process.env.MODELHUB_TEST_DOCKER === "1";
const unavailable = enabled ? nodeEnginesUnavailable() : null;
if (unavailable) console.warn(`skipping the nodes end-to-end test: ${unavailable}`);

interface Instance {
  id: string;
  model: string;
  node: string;
  container_id: string;
  gpus: number[];
  state: string;
}

async function api(c: ServeChild, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${c.url}${path}`, { method, headers: { "content-type": "application/json", ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** modelhub's containers on a node, as that node's engine lists them (the relay is not one). */
async function containersOn(node: NodeEngine, all = false): Promise<{ Id: string; Labels: Record<string, string>; State: string }[]> {
  const r = await node.api(`/containers/json?all=${all ? 1 : 0}&filters=${encodeURIComponent(JSON.stringify({ label: ["dev.modelhub.pool"] }))}`);
  return (await r.json()) as { Id: string; Labels: Record<string, string>; State: string }[];
}

async function inspectOn(node: NodeEngine, id: string) {
  return (await (await node.api(`/containers/${id}/json`)).json()) as {
    HostConfig: { DeviceRequests: { DeviceIDs: string[] | null; Count: number }[] | null; PortBindings: Record<string, unknown> | null; NetworkMode: string };
    NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
    Config: { Labels: Record<string, string> };
  };
}

async function imageOn(node: NodeEngine, ref: string): Promise<boolean> {
  return (await node.api(`/images/${encodeURIComponent(ref)}/json`)).ok;
}

describe.skipIf(!enabled || unavailable !== null)("models on several machines (node engines in namespaces)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "modelhub-nodes-e2e-"));
  let h: NodeEngines;
  let s: ServeChild;
  let a: NodeEngine;
  let b: NodeEngine;
  const nodeState = async (name: string): Promise<string | undefined> =>
    (await api(s, "GET", "/v1/nodes")).body.nodes.find((n: { name: string }) => n.name === name)?.state;
  const instances = async (): Promise<Instance[]> => (await api(s, "GET", "/v1/instances")).body.instances;
  const slowDigest = () => Bun.spawnSync(["docker", "image", "inspect", "-f", "{{.Id}}", "modelhub-test/slow:latest"]).stdout.toString().trim();

  beforeAll(async () => {
    h = await startNodeEngines();
    [a, b] = h.nodes;
    s = await serveChild(dataDir, [
      "--gpus", "none",
      "--idle-timeout", "300",
      "--node-check-interval", "1",
      "--node-callback-url", `http://${h.hostIp}:0`,
    ]);
  }, 120_000);

  afterAll(async () => {
    await s?.stop();
    await h?.teardown();
    rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);

  it("adds both machines over mTLS: up, with the GPUs their probe reports", async () => {
    for (const n of [a, b]) {
      const added = await api(s, "POST", "/v1/nodes", { name: n.name, engine: n.engineUrl, tls_ca: h.tls.ca, tls_cert: h.tls.cert, tls_key: h.tls.key, labels: { rack: n.name === a.name ? "1" : "2" } });
      expect(added.status).toBe(201);
      expect(added.body).toMatchObject({ name: n.name, state: "up", error: null, gpu_source: "nvidia-smi" });
      expect(added.body.gpus.map((g: { uuid: string }) => g.uuid)).toEqual(n.gpus.map((g) => g.uuid));
      // Nothing of the models has reached it yet.
      expect(await imageOn(n, slowDigest())).toBe(false);
    }
  }, 120_000);

  it("spreads instances over both nodes, one pinned GPU each, streaming the image to each node", async () => {
    expect((await api(s, "POST", "/v1/models/acme/slow/versions", { image: "modelhub-test/slow:latest" })).status).toBeLessThan(300);
    expect((await api(s, "PATCH", "/v1/models/acme/slow/policy", { gpus: 1, max_instances: 4 })).status).toBe(200);
    const runs = await Promise.all(
      [0, 1, 2, 3].map(() => api(s, "POST", "/v1/models/acme/slow/predictions", { input: { seconds: 3 } }, { prefer: "wait=60" })),
    );
    for (const r of runs) expect(r.body).toMatchObject({ status: "succeeded", output: "finished after 3 seconds" });

    const list = (await instances()).filter((i) => i.model === "acme/slow");
    expect(list).toHaveLength(4);
    const byNode = (n: NodeEngine) => list.filter((i) => i.node === n.name);
    expect(byNode(a)).toHaveLength(2);
    expect(byNode(b)).toHaveLength(2);
    for (const n of [a, b]) {
      // The image got there the way modelhub sends it, and the containers run on that node's engine.
      expect(await imageOn(n, slowDigest())).toBe(true);
      const uuids: string[] = [];
      for (const inst of byNode(n)) {
        const c = await inspectOn(n, inst.container_id);
        expect(c.Config.Labels["dev.modelhub.node"]).toBe(n.name);
        const ids = c.HostConfig.DeviceRequests?.[0]?.DeviceIDs ?? [];
        expect(ids).toHaveLength(1);
        uuids.push(ids[0]);
        // Published nowhere: on the node's internal models network only.
        expect(Object.keys(c.HostConfig.PortBindings ?? {})).toEqual([]);
        expect(c.HostConfig.NetworkMode).toBe(MODELS_NETWORK);
      }
      expect(uuids.sort()).toEqual(n.gpus.map((g) => g.uuid).sort());
    }
  }, 180_000);

  it("predicts through each node (pinned by policy), and idle stop removes only that node's container", async () => {
    expect((await api(s, "POST", "/v1/models/acme/hello/versions", { image: "modelhub-test/hello:latest" })).status).toBeLessThan(300);
    for (const n of [a, b]) {
      // Every GPU is busy with acme/slow's idle instances: pinning hello to n evicts one of them there.
      expect((await api(s, "PATCH", "/v1/models/acme/hello/policy", { gpus: 1, node: n.name, idle_timeout: 2 })).status).toBe(200);
      const p = await api(s, "POST", "/v1/models/acme/hello/predictions", { input: { text: n.name } }, { prefer: "wait=60" });
      expect(p.body).toMatchObject({ status: "succeeded", output: `hello ${n.name}` });
      const hello = (await instances()).find((i) => i.model === "acme/hello");
      expect(hello?.node).toBe(n.name);
      const id = hello?.container_id ?? "";
      expect((await containersOn(n)).map((c) => c.Id)).toContain(id);
      // Idle for 2 s: that container goes, from that node; the other node's containers stay.
      const other = n === a ? b : a;
      const otherBefore = (await containersOn(other)).map((c) => c.Id).sort();
      await until("the idle container to leave its node", async () => !(await containersOn(n, true)).some((c) => c.Id === id), 20_000);
      expect((await containersOn(other)).map((c) => c.Id).sort()).toEqual(otherBefore);
    }
  }, 180_000);

  it("another host on the LAN cannot call a model container, directly or through the relay", async () => {
    const inst = (await instances()).find((i) => i.node === a.name);
    expect(inst).toBeDefined();
    const ip = (await inspectOn(a, inst?.container_id ?? "")).NetworkSettings.Networks[MODELS_NETWORK].IPAddress;
    const net = (await (await a.api(`/networks/${MODELS_NETWORK}`)).json()) as { Internal: boolean; IPAM: { Config: { Subnet: string }[] } };
    expect(net.Internal).toBe(true);
    const subnet = net.IPAM.Config[0].Subnet;
    await h.runInLan(["ip", "route", "replace", subnet, "via", a.ip]);
    const direct = await h.runInLan(["curl", "-sS", "-m", "3", `http://${ip}:5000/health-check`]);
    expect(direct.code).not.toBe(0);
    const relayed = await h.runInLan(["curl", "-sSk", "-m", "3", "--cert", h.tls.cert, "--key", h.tls.key, `https://${a.ip}:7443/${ip}/health-check`]);
    expect(relayed.code).not.toBe(0);
    expect(relayed.stdout).not.toContain("READY");
  });

  it("a killed engine fails only its node's work; its return is reconciled and it takes work again", async () => {
    await api(s, "PATCH", "/v1/models/acme/slow/policy", { node: null });
    // Long predictions on every instance of both nodes.
    const started = await Promise.all([0, 1, 2, 3].map(() => api(s, "POST", "/v1/models/acme/slow/predictions", { input: { seconds: 12 } })));
    const ids: string[] = started.map((r) => r.body.id);
    await until("two predictions processing", async () => (await Promise.all(ids.map((id) => api(s, "GET", `/v1/predictions/${id}`)))).filter((r) => r.body.status === "processing").length >= 2, 30_000);
    const onB = new Set((await instances()).filter((i) => i.node === b.name && i.model === "acme/slow").map((i) => i.id));
    expect(onB.size).toBeGreaterThan(0);

    await b.kill();
    await until("node-b down", async () => (await nodeState(b.name)) === "down", 30_000);
    const finals = await Promise.all(
      ids.map(async (id) => {
        await until("a final status", async () => ["succeeded", "failed", "canceled"].includes((await api(s, "GET", `/v1/predictions/${id}`)).body.status), 60_000);
        return (await api(s, "GET", `/v1/predictions/${id}`)).body;
      }),
    );
    const failed = finals.filter((p) => p.status === "failed");
    const succeeded = finals.filter((p) => p.status === "succeeded");
    // Whatever ran on node-b failed naming it; node-a's work went on.
    expect(failed.length).toBeGreaterThan(0);
    for (const p of failed) expect(p.error).toContain(b.name);
    expect(succeeded.length).toBeGreaterThan(0);
    expect(failed.length + succeeded.length).toBe(4);
    expect((await instances()).some((i) => i.node === b.name)).toBe(false);

    // New work while it is down goes to node-a.
    const meanwhile = await api(s, "POST", "/v1/models/acme/slow/predictions", { input: { seconds: 0 } }, { prefer: "wait=60" });
    expect(meanwhile.body.status).toBe("succeeded");

    await b.restart();
    await until("node-b up again", async () => (await nodeState(b.name)) === "up", 60_000);
    // Reconciled: nothing of the lost instances runs on node-b any more.
    await until("node-b reconciled", async () => (await containersOn(b)).length === 0, 30_000);
    expect((await api(s, "PATCH", "/v1/models/acme/slow/policy", { node: b.name })).status).toBe(200);
    const back = await api(s, "POST", "/v1/models/acme/slow/predictions", { input: { seconds: 0 } }, { prefer: "wait=60" });
    expect(back.body.status).toBe("succeeded");
    expect((await instances()).some((i) => i.node === b.name && i.model === "acme/slow")).toBe(true);
  }, 240_000);
});
