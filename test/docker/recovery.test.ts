// Restart without loss: modelhub is killed with SIGKILL while predictions run; started again on the
// same data folder, it leaves nothing `starting` or `processing`. A prediction on the sync path (its
// answer died with the process) and one still queued fail saying why, and the container still busy
// with the lost one is removed while an idle healthy one is adopted. A prediction on the async path
// is re-attached: its container (adopted, busy) posts its answer to the callback listener, back on
// the same port, and it succeeds; if that container is gone meanwhile, it fails saying why.
//
// modelhub runs as a child process (`bun cli/main.ts serve`) so it can really be killed.
// Runs only with MODELHUB_TEST_DOCKER=1.
import { afterAll, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveChild, type ServeChild } from "../helpers/serve-child.ts";
import { containersOf, docker, removeContainersOf, TERMINAL, until } from "./scheduler-helpers.ts";

const enabled = process.env.MODELHUB_TEST_DOCKER === "1";

type Child = ServeChild;

/** Starts `modelhub serve` on a free port (its own process, so it can really be killed). */
const serve = (dataDir: string) => serveChild(dataDir, ["--idle-timeout", "300"]);

async function api(c: Child, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${c.url}${path}`, { method, headers: { "content-type": "application/json", ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Stops the modelhub children a test started: SIGTERM, then SIGKILL if one has not exited in 15 s. */
async function stopChildren(children: Child[]): Promise<void> {
  for (const c of children) await c.stop();
}

describe.skipIf(!enabled)("restart after kill -9", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "modelhub-recovery-"));
  const children: Child[] = [];

  afterAll(async () => {
    await stopChildren(children);
    removeContainersOf(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("leaves no prediction starting or processing, removes the busy container and adopts the idle one", async () => {
    const first = await serve(dataDir);
    children.push(first);
    for (const [image, name] of [["modelhub-test/slow:latest", "acme/slow"], ["modelhub-test/hello:latest", "acme/hello"]])
      expect((await api(first, "POST", `/v1/models/${name}/versions`, { image })).status).toBeLessThan(300);

    // An idle hello container to adopt later.
    expect((await api(first, "POST", "/v1/models/acme/hello/predictions", { input: { text: "before" } }, { prefer: "wait" })).body.output).toBe("hello before");
    const helloBefore = (await api(first, "GET", "/v1/instances")).body.instances.find((i: any) => i.model === "acme/hello");

    // One prediction running (long, on the sync path: its client waits), one waiting behind it.
    const waiting = fetch(`${first.url}/v1/models/acme/slow/predictions`, {
      method: "POST",
      headers: { "content-type": "application/json", prefer: "wait" },
      body: JSON.stringify({ input: { seconds: 60 } }),
    }).catch(() => null); // the kill ends this request
    let running: any;
    await until("the long prediction to exist", async () => (running = (await api(first, "GET", "/v1/predictions")).body.results.find((p: any) => p.model === "acme/slow")));
    const queued = (await api(first, "POST", "/v1/models/acme/slow/predictions", { input: { seconds: 1 } })).body;
    await until("the long prediction to be stored as processing", async () => (await api(first, "GET", `/v1/predictions/${running.id}`)).body.status === "processing");
    // The stored row (not just memory) must say processing before the kill, or there is nothing to recover.
    await Bun.sleep(1_000);
    const busyContainer = (await api(first, "GET", "/v1/instances")).body.instances.find((i: any) => i.model === "acme/slow").container_id;

    first.proc.kill(9);
    await first.proc.exited;
    await waiting;
    children.splice(children.indexOf(first), 1);
    expect(containersOf(dataDir, true)).toContain(busyContainer.slice(0, 12));

    const second = await serve(dataDir);
    children.push(second);
    const list = (await api(second, "GET", "/v1/predictions")).body.results;
    expect(list.filter((p: any) => !TERMINAL.has(p.status))).toEqual([]);
    const r = (await api(second, "GET", `/v1/predictions/${running.id}`)).body;
    const q = (await api(second, "GET", `/v1/predictions/${queued.id}`)).body;
    expect(r.status).toBe("failed");
    expect(r.error).toContain("modelhub stopped while this prediction was running");
    expect(q.status).toBe("failed");
    expect(q.error).toContain("before this prediction started");

    // The container still busy with the lost prediction is gone; the idle hello one was adopted.
    expect(containersOf(dataDir)).not.toContain(busyContainer.slice(0, 12));
    const adopted = (await api(second, "GET", "/v1/instances")).body.instances;
    expect(adopted.map((i: any) => [i.id, i.model, i.adopted])).toEqual([[helloBefore.id, "acme/hello", true]]);
    expect((await api(second, "POST", "/v1/models/acme/hello/predictions", { input: { text: "after" } }, { prefer: "wait" })).body.output).toBe("hello after");
    expect((await api(second, "GET", "/v1/instances")).body.instances.map((i: any) => i.id)).toEqual([helloBefore.id]);
    expect((await api(second, "POST", "/v1/models/acme/slow/predictions", { input: { seconds: 0.1 } }, { prefer: "wait" })).body.status).toBe("succeeded");
  }, 180_000);
});

/** Starts modelhub with slow imported and an async prediction running (no Prefer: wait), stored as processing. */
async function asyncPredictionRunning(dataDir: string, children: Child[], seconds: number) {
  const first = await serve(dataDir);
  children.push(first);
  expect((await api(first, "POST", "/v1/models/acme/slow/versions", { image: "modelhub-test/slow:latest" })).status).toBeLessThan(300);
  const pred = (await api(first, "POST", "/v1/models/acme/slow/predictions", { input: { seconds } })).body;
  await until("the prediction to be stored as processing", async () => (await api(first, "GET", `/v1/predictions/${pred.id}`)).body.status === "processing");
  // Some live logs merged first, so the re-attached run must carry on from them.
  await until("live logs", async () => (await api(first, "GET", `/v1/predictions/${pred.id}`)).body.logs.includes("progress"));
  const container = (await api(first, "GET", "/v1/instances")).body.instances.find((i: any) => i.model === "acme/slow").container_id as string;
  first.proc.kill(9);
  await first.proc.exited;
  children.splice(children.indexOf(first), 1);
  return { pred, container };
}

describe.skipIf(!enabled)("restart after kill -9 with an async prediction in flight", () => {
  const dirs: string[] = [];
  const children: Child[] = [];

  afterAll(async () => {
    await stopChildren(children);
    for (const d of dirs) {
      removeContainersOf(d);
      rmSync(d, { recursive: true, force: true });
    }
  }, 60_000);

  it("re-attaches it: the surviving container's webhook completes it, with output and logs, in the same container", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "modelhub-recovery-async-"));
    dirs.push(dataDir);
    const { pred, container } = await asyncPredictionRunning(dataDir, children, 4);
    expect(containersOf(dataDir, true)).toEqual([container.slice(0, 12)]);

    const second = await serve(dataDir);
    children.push(second);
    // Right after the restart it is still running (re-attached), not failed.
    expect(TERMINAL.has((await api(second, "GET", `/v1/predictions/${pred.id}`)).body.status)).toBe(false);
    let done: any;
    await until("the prediction to finish", async () => TERMINAL.has((done = (await api(second, "GET", `/v1/predictions/${pred.id}`)).body).status), 30_000);
    expect([done.status, done.error, done.output]).toEqual(["succeeded", null, "finished after 4 seconds"]);
    expect(done.logs).toMatch(/progress 4\.\d\d\/4\.00s/); // the last tick, a few ms late under load
    expect(done.logs.match(/progress 0\.1\d\/4\.00s/g)?.length).toBe(1); // logs from before the kill, once
    expect(done.metrics.predict_time).toBeGreaterThan(0);
    // No new container for it: the adopted one ran it and is free again.
    expect(containersOf(dataDir, true)).toEqual([container.slice(0, 12)]);
    const instances = (await api(second, "GET", "/v1/instances")).body.instances;
    expect(instances.map((i: any) => [i.container_id, i.adopted, i.in_flight])).toEqual([[container, true, 0]]);
    expect((await api(second, "POST", "/v1/models/acme/slow/predictions", { input: { seconds: 0.1 } }, { prefer: "wait" })).body.status).toBe("succeeded");
    expect(containersOf(dataDir, true)).toEqual([container.slice(0, 12)]);
  }, 180_000);

  it("fails it with the container's exit when the container dies after being re-attached", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "modelhub-recovery-dies-"));
    dirs.push(dataDir);
    const { pred, container } = await asyncPredictionRunning(dataDir, children, 30);
    const second = await serve(dataDir);
    children.push(second);
    expect((await api(second, "GET", `/v1/predictions/${pred.id}`)).body.status).toBe("processing"); // re-attached
    expect(docker("kill", container).code).toBe(0);
    let done: any;
    await until("the prediction to fail", async () => TERMINAL.has((done = (await api(second, "GET", `/v1/predictions/${pred.id}`)).body).status), 30_000);
    expect(done.status).toBe("failed");
    expect(done.error).toContain("exit code 137");
    expect((await api(second, "POST", "/v1/models/acme/slow/predictions", { input: { seconds: 0.1 } }, { prefer: "wait" })).body.status).toBe("succeeded");
  }, 180_000);

  it("fails it with a reason when its container is gone by the restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "modelhub-recovery-gone-"));
    dirs.push(dataDir);
    const { pred, container } = await asyncPredictionRunning(dataDir, children, 30);
    expect(docker("rm", "-f", container).code).toBe(0);

    const second = await serve(dataDir);
    children.push(second);
    const list = (await api(second, "GET", "/v1/predictions")).body.results;
    expect(list.filter((p: any) => !TERMINAL.has(p.status))).toEqual([]);
    const p = (await api(second, "GET", `/v1/predictions/${pred.id}`)).body;
    expect(p.status).toBe("failed");
    expect(p.error).toContain("modelhub stopped while this prediction was running");
    expect((await api(second, "GET", "/v1/instances")).body.instances).toEqual([]);
  }, 180_000);
});
