// The self-webhook loop and metadata address: refused at creation with a 422 naming the
// field, so nothing is created (and no loop starts); a receiver on another loopback port is fine.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { cogLabels, loadSchema } from "../helpers/cog-schema-fixtures.ts";
import { ORIGIN, type TestApp, testApp } from "../helpers/test-app.ts";

let h: TestApp;
beforeAll(async () => {
  h = testApp();
  h.runtime.addImage("acme/hello:latest", cogLabels(loadSchema("hello-world-cog-0.13.6-pydantic1.json")));
  await h.req("POST", "/v1/models/o/hello/versions", { image: "acme/hello:latest" });
  // what server.ts records once the API listens
  h.deps.targets.addOwnListener("127.0.0.1", 5100);
});
afterAll(() => h.close());

const create = (webhook: string, extra: Record<string, unknown> = {}) =>
  h.req("POST", "/v1/predictions", { version: "o/hello", input: { text: "x" }, webhook, webhook_events_filter: ["completed"], ...extra });

describe("webhook targets", () => {
  for (const [url, why] of [
    [`${ORIGIN}/v1/predictions`, "points at modelhub itself"],
    ["http://127.0.0.1:5100/v1/predictions", "points at modelhub itself"],
    ["http://localhost:5100/v1/predictions", "points at modelhub itself"],
    ["http://169.254.169.254/latest/meta-data/iam", "points at a cloud metadata service"],
    ["http://169.254.3.4/", "points at a link-local address"],
  ])
    it(`refuses ${url} (422 naming webhook)`, async () => {
      const before = h.store.list(1000).length;
      const res = await create(url);
      expect(res.status).toBe(422);
      const b = (await res.json()) as { detail: string; invalid_fields: { field: string; rule: string; message: string }[] };
      expect(b.invalid_fields).toEqual([{ field: "webhook", rule: "target", message: why }]);
      expect(b.detail).toContain("--webhook-allow");
      expect(h.store.list(1000).length).toBe(before);
    });

  it("refuses the same targets as URL inputs, naming the input", async () => {
    const res = await h.req("POST", "/v1/predictions", { version: "o/hello", input: { text: "http://169.254.169.254/latest/meta-data/" } });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { invalid_fields: { field: string }[] }).invalid_fields[0].field).toBe("text");
  });

  it("allows a receiver on another loopback port", async () => {
    expect((await create("http://127.0.0.1:9999/hook")).status).toBe(201);
  });
});
