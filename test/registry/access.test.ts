// Registry auth in process: the Bearer challenge, /v2/token with and without `docker login`
// credentials, scopes per repository, anonymous pulls of public models, DENIED for another owner.
import { afterEach, beforeEach, expect, it } from "bun:test";
import type { RegistryAccessPolicy } from "../../server/registry/access.ts";
import { testApp, type TestApp } from "../helpers/test-app.ts";

const GOOD = "mh_good_token_for_alice";
const policy: RegistryAccessPolicy = {
  required: true,
  verify: (secret) => (secret === GOOD ? { id: "tok_1", name: "alice", role: "user" } : null),
  mayWrite: (who, owner) => who.name === owner,
  mayRead: (_who, owner) => owner !== "secret",
};
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;

let t: TestApp;
beforeEach(() => {
  t = testApp({ registryPolicy: policy });
});
afterEach(() => t.close());

const token = async (auth: string | null, scope: string) => {
  const res = await t.req("GET", `/v2/token?service=modelhub&scope=${encodeURIComponent(scope)}`, undefined, auth ? { authorization: auth } : {});
  return { status: res.status, body: await res.json() };
};

it("the ping always challenges without credentials, with a realm on the request's origin", async () => {
  const res = await t.req("GET", "/v2/");
  expect(res.status).toBe(401);
  expect(res.headers.get("www-authenticate")).toBe('Bearer realm="http://modelhub.test:5100/v2/token",service="modelhub"');
  expect((await res.json()).errors[0].code).toBe("UNAUTHORIZED");
});

it("docker login's call (no scope, Basic) succeeds with a modelhub token and is a 401 with anything else", async () => {
  const ok = await token(basic("alice", GOOD), "");
  expect(ok.status).toBe(200);
  expect(ok.body.token).toMatch(/^mhr_/);
  expect(ok.body.access_token).toBe(ok.body.token);
  expect(ok.body.expires_in).toBeGreaterThan(0);
  const ping = await t.req("GET", "/v2/", undefined, { authorization: `Bearer ${ok.body.token}` });
  expect(ping.status).toBe(200);
  const bad = await token(basic("alice", "r8_some_replicate_token"), "");
  expect(bad.status).toBe(401);
  expect(bad.body.errors[0].message).toContain("modelhub API token");
});

it("an anonymous token pulls public models but cannot push; a logged-in token pushes to its own owner only", async () => {
  const anon = await token(null, "repository:alice/tiny:push,pull");
  const push = await t.req("POST", "/v2/alice/tiny/blobs/uploads/", "", { authorization: `Bearer ${anon.body.token}` });
  expect(push.status).toBe(401);
  expect(push.headers.get("www-authenticate")).toContain('scope="repository:alice/tiny:push,pull"');
  const pull = await t.req("GET", "/v2/alice/tiny/tags/list", undefined, { authorization: `Bearer ${anon.body.token}` });
  expect(pull.status).toBe(404); // allowed; the repository is just empty
  const hidden = await t.req("GET", "/v2/secret/model/tags/list");
  expect(hidden.status).toBe(401);

  const alice = await token(basic("alice", GOOD), "repository:alice/tiny:push,pull");
  expect((await t.req("POST", "/v2/alice/tiny/blobs/uploads/", "", { authorization: `Bearer ${alice.body.token}` })).status).toBe(202);
  const other = await token(basic("alice", GOOD), "repository:bob/tiny:push,pull");
  const denied = await t.req("POST", "/v2/bob/tiny/blobs/uploads/", "", { authorization: `Bearer ${other.body.token}` });
  expect(denied.status).toBe(403);
  expect((await denied.json()).errors[0].code).toBe("DENIED");
  // a token stands for its caller: alice's opens her other repositories too, never bob's
  expect((await t.req("POST", "/v2/alice/other/blobs/uploads/", "", { authorization: `Bearer ${alice.body.token}` })).status).toBe(202);
  expect((await t.req("POST", "/v2/bob/other/blobs/uploads/", "", { authorization: `Bearer ${alice.body.token}` })).status).toBe(403);
});

it("a modelhub token sent directly as Bearer works without the token dance", async () => {
  expect((await t.req("POST", "/v2/alice/tiny/blobs/uploads/", "", { authorization: `Bearer ${GOOD}` })).status).toBe(202);
  expect((await t.req("POST", "/v2/alice/tiny/blobs/uploads/", "", { authorization: "Bearer mh_wrong" })).status).toBe(401);
});

it("a node's pull token pulls its one repository (private too) and nothing else", async () => {
  const nodeToken = t.registry.access.pullToken("secret/model");
  const auth = { authorization: `Bearer ${nodeToken}` };
  expect((await t.req("GET", "/v2/secret/model/tags/list", undefined, auth)).status).toBe(404); // allowed; empty
  expect((await t.req("GET", "/v2/secret/other/tags/list", undefined, auth)).status).toBe(401);
  expect((await t.req("POST", "/v2/secret/model/blobs/uploads/", "", auth)).status).toBe(401);
  // what the node service passes to the engine as X-Registry-Auth
  expect(t.registry.nodePullAuth("secret/model")?.registrytoken).toMatch(/^mhr_/);
  expect(t.registry.nodeSource("127.0.0.1:5100/secret/model@sha256:" + "a".repeat(64))).toBeNull(); // never pushed
});
