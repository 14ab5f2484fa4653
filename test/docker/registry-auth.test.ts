// docker login / push / pull against a modelhub that requires tokens: Bearer through /v2/token with
// a modelhub token as the password; a wrong password and a missing login fail clearly; modelhub's
// own engine pull of the pushed version uses its internal credential.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RegistryAccessPolicy } from "../../server/registry/access.ts";
import { dockerTests, startLiveServer, type LiveServer } from "../helpers/live-server.ts";
import { buildRandomImage, labelsOf, removeImagesOf, run } from "../helpers/registry-images.ts";

const GOOD = "mh_alice_token_for_tests_only_0123456789abcdef";
// What the integrator plugs in from the token store; here a fixed table.
const policy: RegistryAccessPolicy = {
  required: true,
  verify: (secret) => (secret === GOOD ? { id: "tok_alice", name: "alice", role: "user" } : null),
  mayWrite: (who, owner) => who.role === "admin" || who.name === owner,
  mayRead: (who) => who !== null,
};

describe.skipIf(!dockerTests)("docker login, push and pull with tokens", () => {
  let s: LiveServer;
  let host: string;
  const config = mkdtempSync(join(tmpdir(), "modelhub-docker-config-"));
  const docker = (...args: string[]) => run(["docker", "--config", config, ...args]);
  const local = `modelhub-test/reg-auth:${process.pid}-${Date.now()}`;
  const created = [local];
  beforeAll(async () => {
    s = await startLiveServer({}, { registryPolicy: policy });
    host = `127.0.0.1:${s.port}`;
    await buildRandomImage(local, 64 * 1024, await labelsOf("modelhub-test/hello:latest"));
  });
  afterAll(async () => {
    await s?.[Symbol.asyncDispose]();
    if (host) await removeImagesOf(host);
    for (const ref of created) await run(["docker", "rmi", "-f", ref]);
    rmSync(config, { recursive: true, force: true });
  });

  it("the ping challenges with Bearer and a realm on the host the client used", async () => {
    const res = await fetch(`${s.url}/v2/`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(`Bearer realm="http://${host}/v2/token",service="modelhub"`);
  });

  it("a push without login fails as unauthorized", async () => {
    const ref = `${host}/alice/secure:v0`;
    expect((await run(["docker", "tag", local, ref])).code).toBe(0);
    created.push(ref);
    const push = await docker("push", ref);
    expect(push.code).not.toBe(0);
    expect(push.err.toLowerCase()).toContain("unauthorized");
  });

  it("docker login with a wrong password fails; with a modelhub token it succeeds", async () => {
    const bad = await docker("login", host, "-u", "alice", "--password-stdin");
    expect(bad.code).not.toBe(0);
    const wrong = await run(["docker", "--config", config, "login", host, "-u", "alice", "--password-stdin"], {}, "mh_wrong");
    expect(wrong.code).not.toBe(0);
    expect(wrong.err).toContain("modelhub did not accept these credentials");
    const ok = await run(["docker", "--config", config, "login", host, "-u", "alice", "--password-stdin"], {}, GOOD);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain("Login Succeeded");
  });

  it("after login: push makes a version modelhub imports with its own credential; another owner is denied; pull works", async () => {
    const ref = `${host}/alice/secure:v1`;
    expect((await run(["docker", "tag", local, ref])).code).toBe(0);
    created.push(ref);
    const push = await docker("push", ref);
    expect(push.code).toBe(0);
    const digest = /digest: (sha256:[a-f0-9]{64})/.exec(push.out)![1];
    created.push(`${host}/alice/secure@${digest}`);
    // the API of this test server has no token store: read the version from the registry's side
    const other = `${host}/bob/secure:v1`;
    expect((await run(["docker", "tag", local, other])).code).toBe(0);
    created.push(other);
    const denied = await docker("push", other);
    expect(denied.code).not.toBe(0);
    expect(denied.err).toContain("denied");
    expect((await docker("pull", ref)).code).toBe(0);
    // modelhub's own engine pull (internal credential) got the image under its digest reference
    for (let i = 0; i < 100 && (await run(["docker", "image", "inspect", `${host}/alice/secure@${digest}`])).code !== 0; i++) await Bun.sleep(100);
    expect((await run(["docker", "image", "inspect", `${host}/alice/secure@${digest}`])).code).toBe(0);
  });
});

// The same with modelhub's own token store plugged in (no test policy): tokens made through the API.
describe.skipIf(!dockerTests)("docker login with a token made by modelhub tokens create", () => {
  let s: LiveServer;
  let host: string;
  const config = mkdtempSync(join(tmpdir(), "modelhub-docker-config-"));
  const docker = (...args: string[]) => run(["docker", "--config", config, ...args]);
  const local = `modelhub-test/reg-auth-real:${process.pid}-${Date.now()}`;
  const created = [local];
  let carol: string;
  beforeAll(async () => {
    s = await startLiveServer({ auth: "on" });
    host = `127.0.0.1:${s.port}`;
    const made = await s.api("POST", "/v1/tokens", { name: "carol" }, { authorization: `Bearer ${s.adminToken}` });
    expect(made.status).toBe(201);
    carol = made.body.token;
    await buildRandomImage(local, 64 * 1024, await labelsOf("modelhub-test/hello:latest"));
  });
  afterAll(async () => {
    await s?.[Symbol.asyncDispose]();
    for (const ref of created) await run(["docker", "rmi", "-f", ref]);
    rmSync(config, { recursive: true, force: true });
  });

  it("logs in with a user token, pushes to its own owner, is denied another's, and the model is private-readable only to it", async () => {
    const bad = await run(["docker", "--config", config, "login", host, "-u", "carol", "--password-stdin"], {}, "mh_not_a_real_token_0123456789abcdefghijklmnop");
    expect(bad.code).not.toBe(0);
    const ok = await run(["docker", "--config", config, "login", host, "-u", "carol", "--password-stdin"], {}, carol);
    expect(ok.code).toBe(0);
    const ref = `${host}/carol/pushed:v1`;
    expect((await run(["docker", "tag", local, ref])).code).toBe(0);
    created.push(ref);
    const push = await docker("push", ref);
    expect(push.code).toBe(0);
    const other = `${host}/dave/pushed:v1`;
    expect((await run(["docker", "tag", local, other])).code).toBe(0);
    created.push(other);
    expect((await docker("push", other)).code).not.toBe(0);
    // made private, the model's tags are closed to anonymous callers and open to carol's token
    const admin = { authorization: `Bearer ${s.adminToken}` };
    for (let i = 0; i < 100 && (await s.api("GET", "/v1/models/carol/pushed", undefined, admin)).status !== 200; i++) await Bun.sleep(100);
    expect((await s.api("PATCH", "/v1/models/carol/pushed", { visibility: "private" }, admin)).status).toBe(200);
    expect((await fetch(`${s.url}/v2/carol/pushed/tags/list`)).status).toBe(401);
    const tags = await fetch(`${s.url}/v2/carol/pushed/tags/list`, { headers: { authorization: `Bearer ${carol}` } });
    expect(tags.status).toBe(200);
    expect(((await tags.json()) as { tags: string[] }).tags).toContain("v1");
  });
});
