// The registry with modelhub's real token store plugged in (--auth on, no test policy): `docker
// login` with a modelhub token, push to the token's own owner (or anything as admin), private models
// pulled only by their owner and admins, public ones anonymously; a revoked token stops working.
// And a web page on another origin cannot write to the registry, even with auth off (anonymous).
import { afterEach, beforeEach, expect, it } from "bun:test";
import { testApp, type TestApp } from "../helpers/test-app.ts";

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

let t: TestApp;
let admin: string;
let alice: string;
let bob: string;
beforeEach(async () => {
  t = testApp({ flags: { auth: "on" } });
  admin = t.deps.tokens.create("root", "admin").token;
  alice = t.deps.tokens.create("alice", "user").token;
  bob = t.deps.tokens.create("bob", "user").token;
  for (const [name, visibility] of [["open", "public"], ["secret", "private"]])
    expect((await t.req("POST", "/v1/models", { owner: "alice", name, visibility }, bearer(admin))).status).toBe(201);
});
afterEach(() => t.close());

const login = async (password: string | null) => {
  const res = await t.req("GET", "/v2/token?service=modelhub", undefined, password ? { authorization: basic("x", password) } : {});
  return { status: res.status, token: res.status === 200 ? ((await res.json()) as { token: string }).token : "" };
};
const startUpload = (repo: string, token: string) => t.req("POST", `/v2/${repo}/blobs/uploads/`, "", bearer(token));
const tags = (repo: string, token?: string) => t.req("GET", `/v2/${repo}/tags/list`, undefined, token ? bearer(token) : {});

it("docker login accepts a modelhub token and refuses anything else", async () => {
  expect((await login(alice)).status).toBe(200);
  expect((await login(admin)).status).toBe(200);
  expect((await login("mh_" + "x".repeat(43))).status).toBe(401);
  expect((await t.req("GET", "/v2/")).status).toBe(401);
  expect((await t.req("GET", "/v2/", undefined, bearer((await login(alice)).token))).status).toBe(200);
});

it("a push needs write on the owner: the token named like the owner, or an admin", async () => {
  const a = (await login(alice)).token;
  const b = (await login(bob)).token;
  const root = (await login(admin)).token;
  expect((await startUpload("alice/new", a)).status).toBe(202);
  expect((await startUpload("alice/new", root)).status).toBe(202);
  // a model bob may read (public): DENIED; one he may not even see: the same 401 as no access at all
  const denied = await startUpload("alice/open", b);
  expect(denied.status).toBe(403);
  expect(((await denied.json()) as { errors: { code: string }[] }).errors[0].code).toBe("DENIED");
  expect((await startUpload("alice/new", b)).status).toBe(401);
  expect((await startUpload("alice/secret", b)).status).toBe(401);
  // an API token sent directly works the same way
  expect((await startUpload("bob/mine", bob)).status).toBe(202);
  expect((await startUpload("alice/new", bob)).status).not.toBe(202);
});

it("public models pull anonymously; private ones only for their owner and admins, like a model that does not exist", async () => {
  expect((await tags("alice/open")).status).toBe(404); // allowed, nothing pushed yet
  expect((await tags("alice/secret")).status).toBe(401);
  expect((await tags("alice/nothing")).status).toBe(401);
  expect((await tags("alice/secret", (await login(bob)).token)).status).toBe(401);
  expect((await tags("alice/secret", bob)).status).toBe(401);
  expect((await tags("alice/secret", (await login(alice)).token)).status).toBe(404);
  expect((await tags("alice/secret", (await login(admin)).token)).status).toBe(404);
  // made public: open to anyone at once, even on a registry token issued before
  const b = (await login(bob)).token;
  expect((await t.req("PATCH", "/v1/models/alice/secret", { visibility: "public" }, bearer(admin))).status).toBe(200);
  expect((await tags("alice/secret", b)).status).toBe(404);
  expect((await tags("alice/secret")).status).toBe(404);
});

it("a revoked token no longer logs in", async () => {
  expect((await login(bob)).status).toBe(200);
  t.deps.tokens.revoke("bob");
  expect((await login(bob)).status).toBe(401);
});

it("a cross-site write to the registry is refused before it starts, even with auth off", async () => {
  const open = testApp();
  try {
    const forged = await open.req("POST", "/v2/evil/x/blobs/uploads/", "", { origin: "https://evil.example", "content-type": "text/plain" });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { detail: string }).detail).toContain("https://evil.example");
    expect((await open.req("POST", "/v2/evil/x/blobs/uploads/", "")).status).toBe(202);
    // reads stay open: a page may not read the answer anyway (no CORS)
    expect((await open.req("GET", "/v2/", undefined, { origin: "https://evil.example" })).status).toBe(200);
  } finally {
    open.close();
  }
});
