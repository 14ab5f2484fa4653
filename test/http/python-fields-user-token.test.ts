// The Python client's field table (test/helpers/python-client.ts) on what a *user* token gets with
// authentication on: every object replicate-python 1.x parses — account, models and their pages,
// versions, collections, hardware, predictions and their pages — still has the fields it requires,
// so `replicate.Client(api_token="mh_…")` works for a team member and not only for the admin.
import { afterAll, beforeAll, expect, it } from "bun:test";
import { pythonProblems } from "../helpers/python-client.ts";
import { cogLabels, loadSchema } from "../helpers/cog-schema-fixtures.ts";
import { type TestApp, testApp } from "../helpers/test-app.ts";

let h: TestApp;
let user: Record<string, string>;
let versionId: string;
beforeAll(async () => {
  h = testApp({ flags: { auth: "on" } });
  h.runtime.addImage("acme/hello:latest", cogLabels(loadSchema("hello-world-cog-0.13.6-pydantic1.json")));
  const admin = { authorization: `Bearer ${h.deps.tokens.create("root", "admin").token}` };
  user = { authorization: `Token ${h.deps.tokens.create("ada", "user").token}` };
  expect((await h.req("POST", "/v1/models", { owner: "acme", name: "hello", description: "says hello" }, admin)).status).toBe(201);
  const v = await h.req("POST", "/v1/models/acme/hello/versions", { image: "acme/hello:latest" }, admin);
  versionId = ((await v.json()) as { id: string }).id;
  // the user's own private model, made by the admin for it
  expect((await h.req("POST", "/v1/models", { owner: "ada", name: "mine", visibility: "private" }, admin)).status).toBe(201);
});
afterAll(() => h.close());

const get = async (path: string) => {
  const res = await h.req("GET", path, undefined, user);
  expect(res.status).toBe(200);
  return (await res.json()) as any;
};

it("account", async () => {
  const a = await get("/v1/account");
  expect(pythonProblems("Account", a)).toEqual([]);
  expect(a).toMatchObject({ username: "ada", role: "user" });
});

it("models: the list, search, one model, its versions", async () => {
  const page = await get("/v1/models");
  expect(pythonProblems("Page", page)).toEqual([]);
  expect(page.results.map((m: any) => `${m.owner}/${m.name}`).sort()).toEqual(["acme/hello", "ada/mine"]);
  for (const m of page.results) expect(pythonProblems("Model", m)).toEqual([]);
  const search = await h.req("QUERY", "/v1/models", "hello", { ...user, "content-type": "text/plain" });
  const found = (await search.json()) as any;
  expect(pythonProblems("Page", found)).toEqual([]);
  for (const m of found.results) expect(pythonProblems("Model", m)).toEqual([]);
  expect(pythonProblems("Model", await get("/v1/models/acme/hello"))).toEqual([]);
  expect(pythonProblems("Model", await get("/v1/models/ada/mine"))).toEqual([]);
  const versions = await get("/v1/models/acme/hello/versions");
  expect(pythonProblems("Page", versions)).toEqual([]);
  expect(versions.results).toHaveLength(1);
  for (const v of versions.results) expect(pythonProblems("Version", v)).toEqual([]);
  expect(pythonProblems("Version", await get(`/v1/models/acme/hello/versions/${versionId}`))).toEqual([]);
});

it("collections and hardware", async () => {
  const page = await get("/v1/collections");
  expect(pythonProblems("Page", page)).toEqual([]);
  for (const c of page.results) expect(pythonProblems("Collection", c)).toEqual([]);
  const all = await get("/v1/collections/all");
  expect(pythonProblems("Collection", all)).toEqual([]);
  for (const m of all.models) expect(pythonProblems("Model", m)).toEqual([]);
  const hardware = await get("/v1/hardware");
  expect(hardware.length).toBeGreaterThan(0);
  for (const x of hardware) expect(pythonProblems("Hardware", x)).toEqual([]);
});

it("predictions: create (both routes), get, list", async () => {
  const made: string[] = [];
  for (const [path, body] of [
    ["/v1/predictions", { version: versionId, input: { text: "ada" } }],
    ["/v1/models/acme/hello/predictions", { input: { text: "ada" } }],
  ] as const) {
    const res = await h.req("POST", path, body, user);
    expect(res.status).toBe(201);
    const p = (await res.json()) as any;
    expect(pythonProblems("Prediction", p)).toEqual([]);
    made.push(p.id);
  }
  for (const id of made) expect(pythonProblems("Prediction", await get(`/v1/predictions/${id}`))).toEqual([]);
  const page = await get("/v1/predictions");
  expect(pythonProblems("Page", page)).toEqual([]);
  expect(page.results.map((p: any) => p.id).sort()).toEqual([...made].sort());
  for (const p of page.results) expect(pythonProblems("Prediction", p)).toEqual([]);
});
