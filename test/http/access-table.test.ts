// Every mounted route × {no token, wrong token, user A, user B, admin} × {a public model, A's private
// model, a public model whose predictions are public}, generated from the app's route table: a route without an access rule fails here, and each
// rule is checked for what it promises (401 without a valid token, 403 for users on admin routes, 404
// — never 403 — for what a caller may not see, and through for everyone allowed).
import { afterAll, describe, expect, it } from "bun:test";
import { type AccessRule, ACCESS_RULES } from "../../server/http/access-rules.ts";
import { uiRoutes } from "../../server/http/ui.ts";
import { cogLabels, loadSchema } from "../helpers/cog-schema-fixtures.ts";
import { ORIGIN, type TestApp, testApp } from "../helpers/test-app.ts";

type CallerName = "none" | "wrong" | "userA" | "userB" | "admin";
const CALLERS: CallerName[] = ["none", "wrong", "userB", "userA", "admin"];
/** "shared": a public model with predictions_visibility "public" (anyone who sees it reads its predictions) */
type Case = "public" | "private" | "shared";

interface Fixture {
  h: TestApp;
  tokens: Record<CallerName, string | null>;
  model: string; // owner/name
  versionId: string;
  predictionId: string;
  streamToken: string;
  fileId: string;
  fileToken: string;
  victimToken: string;
}

const IMAGE = "acme/hello:latest";

async function fixture(kase: Case): Promise<Fixture> {
  const h = testApp({ flags: { auth: "on" } });
  h.runtime.addImage(IMAGE, cogLabels(loadSchema("hello-world-cog-0.13.6-pydantic1.json")));
  const admin = h.deps.tokens.create("root", "admin");
  const a = h.deps.tokens.create("usera", "user");
  const b = h.deps.tokens.create("userb", "user");
  h.deps.tokens.create("victim", "user");
  const auth = { authorization: `Bearer ${admin.token}` };
  const model = kase === "private" ? "usera/secret" : "pub/hello";
  const [owner, name] = model.split("/");
  const visibility = kase === "private" ? "private" : "public";
  const created = await h.req("POST", "/v1/models", { owner, name, visibility, ...(kase === "shared" ? { predictions_visibility: "public" } : {}) }, auth);
  expect(created.status).toBe(201);
  expect(((await created.json()) as { predictions_visibility: string }).predictions_visibility).toBe(kase === "shared" ? "public" : "owner");
  const v = await h.req("POST", `/v1/models/${model}/versions`, { image: IMAGE }, auth);
  const versionId = ((await v.json()) as { id: string }).id;
  expect((await h.req("POST", "/v1/deployments", { name: "dep", model, hardware: "cpu" }, auth)).status).toBe(201);
  const p = h.addPrediction(model, versionId, { createdBy: a.record.id, webhook: "https://hooks.example/usera-secret-hook" });
  const f = await h.deps.files.create({ kind: "upload", name: "a.txt", contentType: "text/plain", body: new TextEncoder().encode("hi"), createdBy: a.record.id });
  return {
    h,
    tokens: { none: null, wrong: "mh_" + "x".repeat(43), userA: a.token, userB: b.token, admin: admin.token },
    model,
    versionId,
    predictionId: p.id,
    streamToken: p.streamToken,
    fileId: f.id,
    fileToken: f.token,
    victimToken: "victim",
  };
}

/** A concrete path for a route template, naming the fixture's resources. */
function concrete(path: string, f: Fixture): string {
  const [owner, name] = f.model.split("/");
  return path
    .replace("/v1/collections/:slug", `/v1/collections/by-${owner}`)
    .replace("/v1/deployments/:owner/:name", `/v1/deployments/${owner}/dep`)
    .replace(":owner/:name", `${owner}/${name}`)
    .replace(/\/v1\/predictions\/:id/, `/v1/predictions/${f.predictionId}`)
    .replace(/versions\/:id/, `versions/${f.versionId}`)
    .replace("/v1/files/:id", `/v1/files/${f.fileId}`)
    .replace("/v1/streams/:token", `/v1/streams/${f.streamToken}`)
    .replace("/v1/files/streams/:token", `/v1/files/streams/${f.streamToken}`)
    .replace("/files/:token/:name", `/files/${f.fileToken}/a.txt`)
    .replace("/files/:token", `/files/${f.fileToken}`)
    .replace("/v1/tokens/:id", `/v1/tokens/${f.victimToken}`)
    .replace("/v1/instances/:id", "/v1/instances/nope")
    .replace("/p/:id", `/p/${f.predictionId}`);
}

/** A body the route accepts from a caller it lets through. */
function bodyFor(method: string, path: string, f: Fixture): unknown {
  if (method === "POST" && path === "/v1/predictions") return { version: f.model, input: { text: "x" } };
  if (method === "POST" && path.endsWith("/predictions")) return { input: { text: "x" } };
  if (method === "POST" && path === "/v1/models") return { owner: "new", name: "model" };
  if (method === "PATCH" && path === "/v1/models/:owner/:name") return { description: "changed" };
  if (method === "POST" && path === "/v1/models/:owner/:name/versions") return { image: IMAGE };
  if (method === "POST" && path === "/v1/tokens") return { name: "another" };
  if (method === "POST" && path === "/v1/deployments") return { name: "dep2", model: f.model, hardware: "cpu" };
  if (method === "POST" && path === "/v1/instances/stop") return { all: true, grace: 0 };
  if (method === "PATCH" && path.startsWith("/v1/deployments/")) return { min_instances: 0 };
  if (method === "PATCH" && path.endsWith("/policy")) return { idle_timeout: 60 };
  return undefined;
}

function request(rule: AccessRule, f: Fixture, caller: CallerName): Request {
  const headers: Record<string, string> = {};
  const token = f.tokens[caller];
  if (token) headers.authorization = `Bearer ${token}`;
  const url = ORIGIN + concrete(rule.path, f);
  if (rule.method === "POST" && rule.path === "/v1/files") {
    const form = new FormData();
    form.append("content", new Blob(["hello"], { type: "text/plain" }), "hello.txt");
    return new Request(url, { method: "POST", headers, body: form });
  }
  if (rule.method === "QUERY") return new Request(url, { method: "QUERY", headers: { ...headers, "content-type": "text/plain" }, body: "hello" });
  const body = bodyFor(rule.method, rule.path, f);
  if (body !== undefined) headers["content-type"] = "application/json";
  return new Request(url, { method: rule.method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** Routes whose subject is A's prediction or upload: B may not see them even on a public model. */
const ownedByA = (path: string) => /^\/v1\/predictions\/:id|^\/v1\/files\/:id/.test(path);

type Expect = "through" | 401 | 403 | 404;

function expected(rule: AccessRule, caller: CallerName, kase: Case): Expect {
  if (rule.access === "anonymous" || rule.access === "capability") return "through";
  if (caller === "none" || caller === "wrong") return 401;
  if (rule.access === "admin") return caller === "admin" ? "through" : 403;
  if (caller === "userB" && (kase === "private" || ownedByA(rule.path))) {
    // Lists and the account have no subject to hide: they answer, filtered (checked below).
    if (!rule.path.includes(":") && !(rule.method === "POST" && rule.path === "/v1/predictions")) return "through";
    // A's prediction of a model whose predictions are public: B reads it, but may not cancel it.
    if (kase === "shared" && rule.method === "GET" && rule.path.startsWith("/v1/predictions/:id")) return "through";
    return 404;
  }
  return "through";
}

// The UI pages are served by Bun.serve's own routes ahead of the app (and the guard): they must be
// anonymous, and hold nothing (their data comes from the API, under its rules).
const isUiPage = (r: { method: string; path: string }) => uiRoutes.some((u) => u.method === r.method && u.path === r.path);

const mountedRoutes = () => {
  const h = testApp({ flags: { auth: "on" } });
  const routes = [...h.app.routes.map((r) => ({ method: r.method, path: r.path })), ...uiRoutes];
  h.close();
  return routes;
};

describe("access rules", () => {
  const routes = mountedRoutes();

  it("name every mounted route exactly once, and only mounted routes", () => {
    const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
    const ruled = new Set(ACCESS_RULES.map(key));
    expect(routes.map(key).filter((k) => !ruled.has(k))).toEqual([]);
    const mounted = new Set(routes.map(key));
    expect(ACCESS_RULES.map(key).filter((k) => !mounted.has(k))).toEqual([]);
    expect(ruled.size).toBe(ACCESS_RULES.length);
    expect(ACCESS_RULES.filter(isUiPage).every((r) => r.access === "anonymous")).toBe(true);
  });

  for (const kase of ["public", "private", "shared"] as Case[])
    describe(`on a ${kase} model`, () => {
      // Reads share one fixture; a write gets a fresh one per caller (A's DELETE must not hide the thing from the admin).
      let shared: Promise<Fixture> | undefined;
      afterAll(async () => (await shared)?.h.close());
      const readOnly = (r: AccessRule) => ["GET", "HEAD", "QUERY"].includes(r.method);
      for (const rule of ACCESS_RULES.filter((r) => !isUiPage(r)))
        it(`${rule.method} ${rule.path} (${rule.access})`, async () => {
          const got: Record<string, number> = {};
          const want: Record<string, Expect> = {};
          for (const caller of CALLERS) {
            const f = readOnly(rule) ? await (shared ??= fixture(kase)) : await fixture(kase);
            try {
              const res = await f.h.app.handle(request(rule, f, caller));
              await res.body?.cancel();
              got[caller] = res.status;
              want[caller] = expected(rule, caller, kase);
              if (want[caller] === 401) expect(res.headers.get("www-authenticate")).toBe('Bearer realm="modelhub"');
            } finally {
              if (!readOnly(rule)) f.h.close();
            }
          }
          // "through": anything but the guard's answers and the 404 that hides things
          // An admin sees everything, so its 404 on an admin route hides nothing: the fixture lacks
          // the thing (no instance runs, no image load is open, the fake engine has no image to export).
          const gone = rule.access === "admin" ? [404] : [];
          const shape = (s: number, w: Expect) => (w === "through" ? ([401, 403, 404].includes(s) && !gone.includes(s) ? s : "through") : s);
          const seen = Object.fromEntries(CALLERS.map((c) => [c, shape(got[c], want[c])]));
          expect(seen).toEqual(want);
        });
    });
});

describe("nothing private leaks through lists and search", () => {
  let f: Fixture;
  let pub: Fixture;
  afterAll(() => {
    f?.h.close();
    pub?.h.close();
  });

  const get = async (x: Fixture, who: CallerName, path: string, init: RequestInit = {}) => {
    const res = await x.h.app.handle(new Request(ORIGIN + path, { ...init, headers: { authorization: `Bearer ${x.tokens[who]}`, ...(init.headers ?? {}) } }));
    return { status: res.status, text: await res.text() };
  };

  it("user B sees neither A's private model nor A's predictions and uploads, anywhere; A and the admin do", async () => {
    f = await fixture("private");
    for (const [path, init] of [
      ["/v1/models", {}],
      ["/v1/models", { method: "QUERY", body: "secret", headers: { "content-type": "text/plain" } }],
      ["/v1/collections", {}],
      ["/v1/collections/all", {}],
      ["/v1/predictions", {}],
      ["/v1/files", {}],
    ] as [string, RequestInit][]) {
      const b = await get(f, "userB", path, init);
      expect(b.status).toBe(200);
      for (const secret of ["usera/secret", "by-usera", f.predictionId, f.fileId, f.streamToken]) expect(b.text).not.toContain(secret);
    }
    expect((await get(f, "userA", "/v1/models")).text).toContain('"name":"secret"');
    expect((await get(f, "userA", "/v1/predictions")).text).toContain(f.predictionId);
    expect((await get(f, "admin", "/v1/predictions")).text).toContain(f.predictionId);
    expect((await get(f, "userA", "/v1/files")).text).toContain(f.fileId);
  });

  it("on a public model, B sees the model but not A's predictions", async () => {
    pub = await fixture("public");
    expect((await get(pub, "userB", "/v1/models")).text).toContain('"name":"hello"');
    const list = await get(pub, "userB", "/v1/predictions");
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(pub.predictionId);
  });

  it("on a model whose predictions are public, B reads A's prediction (not its list, not cancel); made private, it is gone", async () => {
    const shared = await fixture("shared");
    try {
      const one = await get(shared, "userB", `/v1/predictions/${shared.predictionId}`);
      expect(one.status).toBe(200);
      expect(one.text).toContain(shared.streamToken);
      expect(JSON.parse(one.text).webhook).toBeNull();
      expect(JSON.parse((await get(shared, "userA", `/v1/predictions/${shared.predictionId}`)).text).webhook).toBe("https://hooks.example/usera-secret-hook");
      expect((await get(shared, "userB", "/v1/predictions")).text).not.toContain(shared.predictionId);
      expect((await get(shared, "userB", `/v1/predictions/${shared.predictionId}/cancel`, { method: "POST" })).status).toBe(404);
      expect((await get(shared, "userB", `/v1/files/${shared.fileId}`)).status).toBe(404);
      // back to "owner": B no longer reads it
      const patch = (body: unknown) =>
        get(shared, "admin", "/v1/models/pub/hello", { method: "PATCH", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
      expect((await patch({ predictions_visibility: "owner" })).text).toContain('"predictions_visibility":"owner"');
      expect((await get(shared, "userB", `/v1/predictions/${shared.predictionId}`)).status).toBe(404);
      // public again, then the model private: closed to B whatever the predictions setting says
      await patch({ predictions_visibility: "public" });
      expect((await get(shared, "userB", `/v1/predictions/${shared.predictionId}`)).status).toBe(200);
      await patch({ visibility: "private" });
      expect((await get(shared, "userB", `/v1/predictions/${shared.predictionId}`)).status).toBe(404);
      expect((await get(shared, "admin", `/v1/predictions/${shared.predictionId}`)).status).toBe(200);
      // a value that is not one is a 422 naming the field
      const bad = await patch({ predictions_visibility: "everyone" });
      expect(bad.status).toBe(422);
      expect(bad.text).toContain("predictions_visibility");
    } finally {
      shared.h.close();
    }
  });

  it("a bogus capability token is a 404 for everyone", async () => {
    f ??= await fixture("private");
    for (const path of ["/v1/streams/nope", "/files/nope/a.txt", "/v1/files/streams/nope"]) expect((await get(f, "admin", path)).status).toBe(404);
  });

  it("a prediction B creates is B's: A cannot see it, B and the admin can", async () => {
    pub ??= await fixture("public");
    const res = await pub.h.app.handle(
      new Request(`${ORIGIN}/v1/predictions`, {
        method: "POST",
        headers: { authorization: `Token ${pub.tokens.userB}`, "content-type": "application/json" },
        body: JSON.stringify({ version: pub.model, input: { text: "b" } }),
      }),
    );
    expect(res.status).toBe(201);
    const id = ((await res.json()) as { id: string }).id;
    expect((await get(pub, "userB", `/v1/predictions/${id}`)).status).toBe(200);
    expect((await get(pub, "admin", `/v1/predictions/${id}`)).status).toBe(200);
    expect((await get(pub, "userA", `/v1/predictions/${id}`)).status).toBe(404);
  });
});
