// Container limits in a model's run policy over HTTP: PATCH with sizes, GET back what is stored and
// what is in force (with its source), null back to the server's --container-* settings, and a 422
// naming the field for a limit Docker would refuse.
import { afterEach, beforeEach, expect, it } from "bun:test";
import { cogLabels, loadSchema } from "../helpers/cog-schema-fixtures.ts";
import { testApp, type TestApp } from "../helpers/test-app.ts";

let h: TestApp;
beforeEach(async () => {
  h = testApp({ flags: { "container-memory": "2g", "container-pids": "1024" } });
  h.runtime.addImage("acme/hello:latest", cogLabels(loadSchema("hello-world-cog-0.13.6-pydantic1.json")));
  expect((await h.req("POST", "/v1/models/acme/hello/versions", { image: "acme/hello:latest" })).status).toBeLessThan(300);
});
afterEach(() => h.close());

interface PolicyJson {
  policy: Record<string, unknown>;
  effective: Record<string, unknown> & { sources: Record<string, string> };
}
const patch = async (body: unknown) => {
  const res = await h.req("PATCH", "/v1/models/acme/hello/policy", body);
  return { status: res.status, body: (await res.json()) as PolicyJson & { invalid_fields?: { field: string }[] } };
};
const get = async () => (await (await h.req("GET", "/v1/models/acme/hello/policy")).json()) as PolicyJson;

it("defaults to the server's settings", async () => {
  const p = await get();
  expect(p.policy).toMatchObject({ memory: null, cpus: null, pids: null });
  expect(p.effective).toMatchObject({ memory: 2 * 1024 ** 3, cpus: 0, pids: 1024 });
  expect(p.effective.sources).toMatchObject({ memory: "config", cpus: "config", pids: "config" });
});

it("round-trips memory, cpus and pids, and null puts them back to the settings", async () => {
  const set = await patch({ memory: "8g", cpus: 4, pids: 512 });
  expect(set.status).toBe(200);
  expect(set.body.policy).toMatchObject({ memory: 8 * 1024 ** 3, cpus: 4, pids: 512 });
  const p = await get();
  expect(p.effective).toMatchObject({ memory: 8 * 1024 ** 3, cpus: 4, pids: 512 });
  expect(p.effective.sources).toMatchObject({ memory: "policy", cpus: "policy", pids: "policy" });
  // what the scheduler will create containers with
  const v = h.catalog.latestVersion(h.catalog.getModel("acme", "hello").id)!;
  expect(h.policies.runSpec(v).limits).toEqual({ memoryBytes: 8 * 1024 ** 3, cpus: 4, pids: 512 });
  expect((await patch({ memory: null, cpus: null, pids: null })).status).toBe(200);
  expect((await get()).effective).toMatchObject({ memory: 2 * 1024 ** 3, cpus: 0, pids: 1024 });
});

it("refuses a limit Docker would, naming the field, and changes nothing", async () => {
  for (const [body, field] of [
    [{ memory: "1k" }, "memory"],
    [{ memory: "a lot" }, "memory"],
    [{ cpus: -1 }, "cpus"],
    [{ pids: 2.5 }, "pids"],
  ] as const) {
    const r = await patch(body);
    expect(r.status).toBe(422);
    expect(r.body.invalid_fields?.map((f) => f.field)).toEqual([field]);
  }
  expect((await get()).policy).toMatchObject({ memory: null, cpus: null, pids: null });
});
