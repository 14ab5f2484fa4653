// A version pushed to modelhub reaches another machine by `docker pull` from modelhub's own registry:
// a real `modelhub serve` with --node-registry-url, one node engine in its own network namespace
// (the harness of nodes.test.ts, started once here), `docker push` of a fixture Cog image to
// modelhub, a prediction pinned to the node. Auth is on, so the node's engine pulls with the
// short-lived pull token modelhub hands it. The node's engine then has the image under the
// registry's name (RepoDigests), its layers came through the registry's address, and modelhub
// never fell back to streaming it. Runs only with MODELHUB_TEST_DOCKER=1, as root.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type NodeEngine, type NodeEngines, nodeEnginesUnavailable, startNodeEngines } from "../helpers/node-engines.ts";
import { removeImagesOf, run } from "../helpers/registry-images.ts";
import { serveChild, type ServeChild } from "../helpers/serve-child.ts";

const enabled = process.env.MODELHUB_TEST_DOCKER === "1";
const unavailable = enabled ? nodeEnginesUnavailable() : null;
if (unavailable) console.warn(`skipping the nodes registry test: ${unavailable}`);

let adminToken = "";

async function api(c: ServeChild, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${c.url}${path}`, { method, headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}`, ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/**
 * modelhub listens on loopback (auth off); the nodes reach its registry at the host's address on the
 * test bridge, as they would reach a LAN address or a TLS proxy in front of modelhub. Counts the
 * connections that came through.
 */
function bridgeForward(hostIp: string, target: () => number) {
  let connections = 0;
  const server = net.createServer((down) => {
    connections++;
    const up = net.connect(target(), "127.0.0.1");
    down.pipe(up).pipe(down);
    up.on("error", () => down.destroy());
    down.on("error", () => up.destroy());
  });
  const listening = new Promise<number>((resolve) => server.listen(0, hostIp, () => resolve((server.address() as net.AddressInfo).port)));
  return { listening, connections: () => connections, close: () => new Promise<void>((done) => server.close(() => done())) };
}

describe.skipIf(!enabled || unavailable !== null)("a pushed version pulled by a node from modelhub's registry", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "modelhub-nodes-registry-"));
  // `docker login` writes here, not into the machine's own Docker config.
  const dockerConfig = mkdtempSync(join(tmpdir(), "modelhub-nodes-registry-docker-"));
  const docker = (args: string[], stdin?: string) => run(["docker", ...args], { DOCKER_CONFIG: dockerConfig }, stdin);
  let h: NodeEngines;
  let s: ServeChild;
  let node: NodeEngine;
  let forward: ReturnType<typeof bridgeForward>;
  let registryUrl = "";
  let host = "";
  const created: string[] = [];

  beforeAll(async () => {
    h = await startNodeEngines({ nodes: [{ name: "node-a", gpus: 0 }] });
    [node] = h.nodes;
    let port = 0;
    forward = bridgeForward(h.hostIp, () => port);
    registryUrl = `${h.hostIp}:${await forward.listening}`;
    s = await serveChild(dataDir, ["--auth", "on", "--gpus", "none", "--node-check-interval", "1", "--node-callback-url", `http://${h.hostIp}:0`, "--node-registry-url", registryUrl]);
    port = Number(new URL(s.url).port);
    host = `127.0.0.1:${port}`;
    adminToken = readFileSync(join(dataDir, "admin-token"), "utf8").trim();
    expect((await docker(["login", "-u", "admin", "--password-stdin", host], adminToken)).code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await s?.stop();
    await forward?.close();
    await h?.teardown();
    if (host) await removeImagesOf(host);
    for (const ref of created) await run(["docker", "rmi", ref]);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(dockerConfig, { recursive: true, force: true });
  }, 120_000);

  it("runs on the node with the image pulled by digest from modelhub's registry, not streamed", async () => {
    const added = await api(s, "POST", "/v1/nodes", { name: node.name, engine: node.engineUrl, tls_ca: h.tls.ca, tls_cert: h.tls.cert, tls_key: h.tls.key });
    expect(added.status).toBe(201);
    expect(added.body.state).toBe("up");

    const ref = `${host}/acme/pushed:v1`;
    expect((await docker(["tag", "modelhub-test/hello:latest", ref])).code).toBe(0);
    created.push(ref);
    const push = await docker(["push", ref]);
    expect(push.code).toBe(0);
    const versionId = /digest: sha256:([a-f0-9]{64})/.exec(push.out)?.[1];
    expect(versionId).toBeDefined();
    expect((await api(s, "PATCH", "/v1/models/acme/pushed/policy", { node: node.name })).status).toBe(200);

    const p = await api(s, "POST", "/v1/models/acme/pushed/predictions", { input: { text: "from the registry" } }, { prefer: "wait=60" });
    expect(p.body).toMatchObject({ status: "succeeded", output: "hello from the registry" });
    const instances = (await api(s, "GET", "/v1/instances")).body.instances as { model: string; node: string }[];
    expect(instances.find((i) => i.model === "acme/pushed")?.node).toBe(node.name);

    // The node's engine pulled it from the registry's address, by the version's digest.
    const images = (await (await node.api("/images/json")).json()) as { Id: string; RepoDigests: string[] | null }[];
    const pulled = images.find((i) => (i.RepoDigests ?? []).includes(`${registryUrl}/acme/pushed@sha256:${versionId}`));
    expect(pulled).toBeDefined();
    // …through the address nodes were given (with the pull token: auth is on), and modelhub did not
    // fall back to streaming it.
    expect(forward.connections()).toBeGreaterThan(0);
    expect(s.stderr()).not.toContain("streaming the image from the local engine instead");
  }, 180_000);
});
