// A/B of the fast path between two checkouts of modelhub (say this branch and main, unpacked with
// `git archive main | tar -x -C /tmp/main` and node_modules linked): each tree's modelhub runs in
// its own process (test/bench/serve.ts), and `hello` predictions with Prefer: wait, one client, go
// to them in interleaved rounds, so a busy machine slows both alike. Prints p50 and p90 per tree.
// Run: MODELHUB_TEST_DOCKER=1 node_modules/.bin/bun test/bench/compare-trees.ts DIR_A DIR_B
export {};

interface Hub {
  url: string;
  versionId: string;
  stop(): Promise<void>;
}

async function startHub(root: string): Promise<Hub> {
  const p = Bun.spawn([process.execPath, `${root}/test/bench/serve.ts`, "{}"], { cwd: root, stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  const reader = p.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) text += new TextDecoder().decode((await reader.read()).value);
  const { url } = JSON.parse(text) as { url: string };
  const res = await fetch(`${url}/v1/models/acme/hello/versions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ image: "modelhub-test/hello:latest" }) });
  const { id } = (await res.json()) as { id: string };
  return {
    url,
    versionId: id,
    stop: async () => {
      p.stdin.end();
      await p.exited;
    },
  };
}

async function one(h: Hub): Promise<void> {
  const r = await fetch(`${h.url}/v1/predictions`, { method: "POST", headers: { "content-type": "application/json", prefer: "wait" }, body: JSON.stringify({ version: h.versionId, input: { text: "x" } }) });
  const p = (await r.json()) as { status: string };
  if (p.status !== "succeeded") throw new Error(`prediction ${p.status}: ${JSON.stringify(p)}`);
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor((p / 100) * xs.length)];

const trees = process.argv.slice(2);
const hubs: Hub[] = [];
for (const t of trees) hubs.push(await startHub(t));
for (const h of hubs) for (let i = 0; i < 50; i++) await one(h); // warm up
const lat: number[][] = hubs.map(() => []);
for (let round = 0; round < 6; round++)
  for (let k = 0; k < hubs.length; k++)
    for (let i = 0; i < 100; i++) {
      const t = performance.now();
      await one(hubs[k]);
      lat[k].push(performance.now() - t);
    }
trees.forEach((t, k) => console.log(`${t}: p50 ${pct(lat[k], 50).toFixed(3)} ms, p90 ${pct(lat[k], 90).toFixed(3)} ms`));
for (const h of hubs) await h.stop();
