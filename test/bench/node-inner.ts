// The "on the node" half of test/bench/cold-start-node.ts: run inside a node's network namespace
// (nsenter --net), where the node's containers are reachable directly. Prints one JSON line.
//   bun test/bench/node-inner.ts docker-run SOCKET IMAGE NETWORK   start → READY → first prediction
//   bun test/bench/node-inner.ts warm IP N                          N warm sync predictions (ms each)
import { predict, ready } from "./cog-direct.ts";
const [mode, ...args] = process.argv.slice(2);

if (mode === "docker-run") {
  const [socket, image, network] = args;
  const t0 = performance.now();
  const p = Bun.spawnSync(["docker", "-H", `unix://${socket}`, "run", "-d", "--network", network, image]);
  if (p.exitCode !== 0) throw new Error(p.stderr.toString());
  const id = p.stdout.toString().trim();
  const runMs = performance.now() - t0;
  const ip = Bun.spawnSync(["docker", "-H", `unix://${socket}`, "inspect", "-f", `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, id]).stdout.toString().trim();
  const base = `http://${ip}:5000`;
  const inspectMs = performance.now() - t0;
  await ready(base);
  const readyMs = performance.now() - t0;
  await predict(base);
  console.log(JSON.stringify({ id, runMs, inspectMs, readyMs, firstMs: performance.now() - t0 }));
} else if (mode === "warm") {
  const [ip, n] = args;
  const base = ip.startsWith("http") ? ip : `http://${ip}:5000`;
  for (let i = 0; i < 20; i++) await predict(base);
  const ms: number[] = [];
  for (let i = 0; i < Number(n); i++) {
    const t = performance.now();
    await predict(base);
    ms.push(performance.now() - t);
  }
  console.log(JSON.stringify({ ms }));
} else {
  console.error("usage: node-inner.ts docker-run SOCKET IMAGE NETWORK | warm IP N");
  process.exit(2);
}
