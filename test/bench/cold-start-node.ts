// Benchmark: a model on another machine (a node engine of the test harness, in its own network
// namespace, reached over mTLS) against the same model started with `docker run` on that node, in
// the same run, interleaved. Measures, per repetition:
//   - docker run on the node:  inside the node's namespace, `docker run -d` on its engine, /health-check
//                              every 10 ms until READY, then one prediction (test/bench/node-inner.ts)
//   - through modelhub's path:  create + start over the engine's mTLS API (as modelhub's runtime does),
//                              READY and the first prediction through the relay (relay link → mTLS →
//                              relay → container on the node's internal network)
//   - modelhub:                 a real `modelhub serve` (no GPU of its own) with the node added over
//                              mTLS: POST /v1/models/{o}/{n}/predictions with Prefer: wait on a stopped
//                              model pinned to the node (its instance stopped between repetitions)
// then the relay's added latency for a warm sync prediction: the same loop of N predictions from
// inside the node's namespace straight to the container, and from this host through the relay link.
// Needs root (network namespaces, dockerd); the image is copied to the node once before timing.
//
//   node_modules/.bin/bun run test/bench/cold-start-node.ts [repetitions=5] [warm=300] [image=modelhub-test/hello:latest]
import { startNodeEngines } from "../helpers/node-engines.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MODELS_NETWORK, containerIp, copyImageToNode, setupRelay } from "../helpers/node-relays.ts";
import { type ServeChild, serveChild } from "../helpers/serve-child.ts";
import { predict, ready } from "./cog-direct.ts";

const REPS = Number(process.argv[2] ?? 5);
const WARM = Number(process.argv[3] ?? 300);
const IMAGE = process.argv[4] ?? "modelhub-test/hello:latest";
const INNER = `${import.meta.dir}/node-inner.ts`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const f = (ms: number) => `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;

const t0 = performance.now();
const h = await startNodeEngines({ nodes: [{ name: "node-a", gpus: 0 }] });
const node = h.nodes[0];
let close = async () => {};
let serve: ServeChild | null = null;
const dataDir = mkdtempSync(join(tmpdir(), "modelhub-bench-node-"));
try {
  console.log(`harness up in ${Math.round(performance.now() - t0)} ms`);
  const t1 = performance.now();
  // Its own relay (port 7444), beside the one the modelhub server below starts on 7443.
  const relay = await setupRelay(h, node, { port: 7444, containerName: "bench-relay" });
  close = () => relay.pool.close();
  console.log(`relay ready on ${node.name} in ${Math.round(performance.now() - t1)} ms (image made and loaded over the engine API)`);
  await copyImageToNode(node, IMAGE);
  const inner = (args: string[]) => {
    const p = Bun.spawnSync(["nsenter", `--net=/run/netns/${node.netns}`, process.execPath, INNER, ...args]);
    if (p.exitCode !== 0) throw new Error(`node-inner ${args[0]}: ${p.stderr.toString()}`);
    return JSON.parse(p.stdout.toString().trim().split("\n").pop() ?? "{}");
  };

  serve = await serveChild(dataDir, ["--gpus", "none", "--idle-timeout", "600", "--node-callback-url", `http://${h.hostIp}:0`]);
  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const r = await fetch(`${serve?.url}${path}`, { method, headers: { "content-type": "application/json", ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
  const added = await api("POST", "/v1/nodes", { name: node.name, engine: node.engineUrl, tls_ca: h.tls.ca, tls_cert: h.tls.cert, tls_key: h.tls.key });
  if (added.status !== 201 || added.body.state !== "up") throw new Error(`adding the node: ${JSON.stringify(added.body)}`);
  await api("POST", "/v1/models/bench/hello/versions", { image: IMAGE });
  await api("PATCH", "/v1/models/bench/hello/policy", { node: node.name });
  const viaModelhub = async () => {
    const t = performance.now();
    const r = await api("POST", "/v1/models/bench/hello/predictions", { input: { text: "bench" } }, { prefer: "wait=60" });
    if (r.body?.status !== "succeeded") throw new Error(`modelhub prediction: ${JSON.stringify(r.body)}`);
    const firstMs = performance.now() - t;
    const inst = (await api("GET", "/v1/instances")).body.instances.find((i: { model: string }) => i.model === "bench/hello");
    if (inst?.node !== node.name) throw new Error(`the instance is not on ${node.name}: ${JSON.stringify(inst)}`);
    await api("POST", "/v1/instances/stop", { model: "bench/hello", grace: 0 });
    return firstMs;
  };
  // Warm-up: the image reaches the node the way modelhub sends it (not timed).
  await viaModelhub();
  const runs: { docker: { readyMs: number; firstMs: number }; relay: { readyMs: number; firstMs: number }; modelhub: number }[] = [];
  for (let i = 0; i < REPS; i++) {
    const d = inner(["docker-run", node.socket, IMAGE, MODELS_NETWORK]);
    console.log(`  docker run: \`docker run -d\` returned after ${f(d.runMs)}, address known after ${f(d.inspectMs)}, READY after ${f(d.readyMs)}`);
    await node.docker(["rm", "-f", d.id]);
    const t = performance.now();
    const c = await relay.docker.createContainer({ Image: IMAGE, HostConfig: { NetworkMode: MODELS_NETWORK, ExtraHosts: [`host.docker.internal:${relay.gateway}`] } });
    await c.start();
    const base = relay.endpointFor(await containerIp(relay.docker, c.id));
    await ready(base);
    const readyMs = performance.now() - t;
    console.log(`  modelhub path: READY after ${f(readyMs)}`);
    await predict(base);
    const firstMs = performance.now() - t;
    await c.remove({ force: true });
    const modelhub = await viaModelhub();
    console.log(`  modelhub: first prediction answered after ${f(modelhub)}`);
    runs.push({ docker: d, relay: { readyMs, firstMs }, modelhub });
  }
  const col = (k: "docker" | "relay", m: "readyMs" | "firstMs") => median(runs.map((r) => r[k][m]));
  console.log(`\ncold start, median of ${REPS} (start → READY / start → first prediction answered):`);
  console.log(`  docker run on the node       ${f(col("docker", "readyMs"))} / ${f(col("docker", "firstMs"))}`);
  console.log(`  modelhub path (mTLS + relay) ${f(col("relay", "readyMs"))} / ${f(col("relay", "firstMs"))}`);
  console.log(`  ratio                        ${(col("relay", "readyMs") / col("docker", "readyMs")).toFixed(2)} / ${(col("relay", "firstMs") / col("docker", "firstMs")).toFixed(2)}`);
  const mh = median(runs.map((r) => r.modelhub));
  console.log(`  modelhub serve, remote node  - / ${f(mh)}  (×${(mh / col("docker", "firstMs")).toFixed(2)} of docker run)`);

  const c = await relay.docker.createContainer({ Image: IMAGE, HostConfig: { NetworkMode: MODELS_NETWORK } });
  await c.start();
  const ip = await containerIp(relay.docker, c.id);
  const base = relay.endpointFor(ip);
  await ready(base);
  for (let i = 0; i < 20; i++) await predict(base);
  const viaRelay: number[] = [];
  for (let i = 0; i < WARM; i++) {
    const t = performance.now();
    await predict(base);
    viaRelay.push(performance.now() - t);
  }
  const onNode: number[] = inner(["warm", ip, String(WARM)]).ms;
  await c.remove({ force: true });
  console.log(`\nwarm sync prediction, ${WARM} in a row (median / p90):`);
  console.log(`  on the node, to the container   ${f(median(onNode))} / ${f(pct(onNode, 0.9))}`);
  console.log(`  from modelhub, through the relay ${f(median(viaRelay))} / ${f(pct(viaRelay, 0.9))}`);
  console.log(`  added by the relay (median)      ${f(median(viaRelay) - median(onNode))}`);
} finally {
  await serve?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  await close();
  await h.teardown();
}
