// modelhub for a team, against the real engine: the official JS client works with a user token
// (and sees only what that token may), model containers run on modelhub's own network where one
// cannot call another's port, with limits and no new privileges, and a bad image reference is a
// 400 that leaves the server alive.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import Replicate from "replicate";
import { dockerTests, startLiveServer, type LiveServer } from "../helpers/live-server.ts";

async function sh(cmd: string[]) {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { out: out.trim(), err, code };
}

describe.skipIf(!dockerTests)("a team on one modelhub", () => {
  let s: LiveServer;
  let admin: Record<string, string>;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    s = await startLiveServer({ auth: "on", "container-memory": "512m", "container-cpus": "1", "container-pids": "256" });
    admin = { authorization: `Bearer ${s.adminToken}` };
    const made = async (name: string) => (await s.api("POST", "/v1/tokens", { name }, admin)).body.token as string;
    alice = await made("alice");
    bob = await made("bob");
    for (const [image, name] of [["modelhub-test/hello:latest", "team/hello"], ["modelhub-test/image:latest", "team/image"], ["modelhub-test/stream:latest", "alice/private"]])
      expect((await s.api("POST", `/v1/models/${name}/versions`, { image }, admin)).status).toBeLessThan(300);
    expect((await s.api("PATCH", "/v1/models/alice/private", { visibility: "private" }, admin)).status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await s?.[Symbol.asyncDispose]();
  });

  it("the official JS client runs models with a user token, and sees only what the token may", async () => {
    const asAlice = new Replicate({ auth: alice, baseUrl: `${s.url}/v1` });
    const asBob = new Replicate({ auth: bob, baseUrl: `${s.url}/v1` });
    expect((await asAlice.run("team/hello", { input: { text: "alice" } })) as unknown).toBe("hello alice");
    expect(await asAlice.run("alice/private", { input: { prompt: "mine", count: 2 } })).toEqual(["mine", " mine"]);
    await expect(asBob.run("alice/private", { input: { prompt: "x" } })).rejects.toThrow(/404/);
    await expect(asBob.models.get("alice", "private")).rejects.toThrow(/404/);
    const mine = await asAlice.predictions.list();
    expect(mine.results.length).toBe(2);
    expect((await asBob.predictions.list()).results).toEqual([]);
    expect(await asAlice.accounts.current()).toMatchObject({ username: "alice", role: "user", auth: "on" });
    // and nothing without a token, or with a revoked one
    await expect(new Replicate({ auth: "mh_nope", baseUrl: `${s.url}/v1` }).models.list()).rejects.toThrow(/401/);
    await expect(asBob.models.create("bob", "m", { visibility: "public", hardware: "cpu" })).rejects.toThrow(/403/);
  }, 60_000);

  it("one model container cannot call another's port; the callback listener stays reachable", async () => {
    // two models running: their containers are up and idle
    for (const name of ["team/hello", "team/image"]) {
      const input = name === "team/hello" ? { text: "up" } : { width: 256, height: 16 };
      expect((await s.api("POST", `/v1/models/${name}/predictions`, { input }, { ...admin, prefer: "wait" })).body.status).toBe("succeeded");
    }
    const all = (await s.api("GET", "/v1/instances", undefined, admin)).body.instances as { model: string; container_id: string }[];
    const instances = ["team/hello", "team/image"].map((m) => all.find((i) => i.model === m)!);
    expect(instances.every(Boolean)).toBe(true);
    const inspect = async (id: string) => JSON.parse((await sh(["docker", "inspect", id])).out)[0];
    const [a, b] = await Promise.all(instances.map((i) => inspect(i.container_id)));
    expect(a.HostConfig.NetworkMode).toBe("modelhub");
    expect(a.HostConfig.SecurityOpt).toContain("no-new-privileges:true");
    expect(a.HostConfig.Memory).toBe(512 * 1024 ** 2);
    expect(a.HostConfig.NanoCpus).toBe(1e9);
    expect(a.HostConfig.PidsLimit).toBe(256);
    const net = JSON.parse((await sh(["docker", "network", "inspect", "modelhub"])).out)[0];
    expect(net.Options["com.docker.network.bridge.enable_icc"]).toBe("false");
    const bIp = b.NetworkSettings.Networks.modelhub.IPAddress as string;
    expect(bIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    // From container A (the fixture binary is a Bun: BUN_BE_BUN runs a script in it), B's port 5000 and
    // modelhub's callback listener, which A legitimately calls.
    const cbPort = /host\.docker\.internal:(\d+)/.exec(JSON.stringify(a.Config.Cmd))?.[1];
    expect(cbPort).toBeDefined();
    const script = `for (const u of ["http://${bIp}:5000/health-check", "http://host.docker.internal:${cbPort}/internal/files/nope"]) {
      try { const r = await fetch(u, { signal: AbortSignal.timeout(3000) }); console.log(u, "HTTP", r.status); } catch (e) { console.log(u, "UNREACHABLE"); } }`;
    const probe = await sh(["docker", "exec", "-e", "BUN_BE_BUN=1", a.Id, "/usr/local/bin/cog-fixture-server", "-e", script]);
    expect(probe.out).toContain(`http://${bIp}:5000/health-check UNREACHABLE`);
    expect(probe.out).toContain("/internal/files/nope HTTP 404");
  }, 90_000);

  it("a model's run policy sets its containers' memory, CPU and process limits (over the server's)", async () => {
    const set = await s.api("PATCH", "/v1/models/team/hello/policy", { memory: "256m", cpus: 0.5, pids: 128 }, admin);
    expect(set.status).toBe(200);
    expect(set.body.effective).toMatchObject({ memory: 256 * 1024 ** 2, cpus: 0.5, pids: 128 });
    const run = await s.api("POST", "/v1/models/team/hello/predictions", { input: { text: "limits" } }, { ...admin, prefer: "wait" });
    expect(run.body.status).toBe("succeeded");
    const all = (await s.api("GET", "/v1/instances", undefined, admin)).body.instances as { model: string; container_id: string; state: string }[];
    const inst = all.find((i) => i.model === "team/hello" && i.state === "ready");
    expect(inst).toBeDefined();
    const host = JSON.parse((await sh(["docker", "inspect", inst!.container_id])).out)[0].HostConfig;
    expect(host.Memory).toBe(256 * 1024 ** 2);
    expect(host.NanoCpus).toBe(5e8);
    expect(host.PidsLimit).toBe(128);
    // another model keeps the server's limits
    const other = all.find((i) => i.model === "team/image" && i.state === "ready");
    if (other) expect(JSON.parse((await sh(["docker", "inspect", other.container_id])).out)[0].HostConfig.Memory).toBe(512 * 1024 ** 2);
  }, 90_000);

  it("answers 400 to image references that are not ones, and keeps serving", async () => {
    for (const image of ["../x", `../127.0.0.1:${s.port}/probe?x=1`]) {
      const r = await s.api("POST", "/v1/models/a/b/versions", { image }, admin);
      expect(r.status).toBe(400);
      expect(r.body.detail).toContain(image);
    }
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });

  it("refuses a webhook aimed at modelhub itself, so no loop can start", async () => {
    const r = await s.api("POST", "/v1/predictions", { version: "team/hello", input: { text: "x" }, webhook: `${s.url}/v1/predictions`, webhook_events_filter: ["completed"] }, admin);
    expect(r.status).toBe(422);
    expect(r.body.invalid_fields[0].field).toBe("webhook");
    const other = `http://localhost:${s.port}/v1/predictions`;
    expect((await s.api("POST", "/v1/predictions", { version: "team/hello", input: { text: "x" }, webhook: other }, admin)).status).toBe(422);
  });
});
