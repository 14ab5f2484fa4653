// /v1/nodes over the whole app: the local node is always listed and cannot be drained or removed;
// a node to add is checked field by field (422) and by name (409); an engine that does not answer is
// added but down, with the reason; drain and remove work by name (404 for an unknown one).
import { afterAll, describe, expect, it } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cogLabels, loadSchema } from "../helpers/cog-schema-fixtures.ts";
import { testApp } from "../helpers/test-app.ts";
import { tempDir } from "../helpers/temp-dir.ts";

type NodeJson = { name: string; state: string; engine: string; labels: Record<string, string>; gpus: unknown[]; instances: number; error: string | null; last_seen_at: string | null };

describe("/v1/nodes", () => {
  const h = testApp();
  const dir = tempDir("modelhub-nodes-");
  afterAll(() => h.close());
  const missingSocket = `unix://${join(dir.path, "no-engine.sock")}`;

  it("lists the local node, up, first", async () => {
    const r = await h.req("GET", "/v1/nodes");
    expect(r.status).toBe(200);
    const { nodes } = (await r.json()) as { nodes: NodeJson[] };
    expect(nodes.map((n) => [n.name, n.state, n.engine])).toEqual([["local", "up", "local"]]);
  });

  it("checks a node before storing it: name, engine, certificate files (422 naming each field)", async () => {
    const bad = async (body: unknown, field: string) => {
      const r = await h.req("POST", "/v1/nodes", body);
      expect(r.status).toBe(422);
      const p = (await r.json()) as { invalid_fields?: { field: string }[]; detail: string };
      expect(p.invalid_fields?.map((f) => f.field)).toContain(field);
      return p.detail;
    };
    await bad({ name: "Bad Name", engine: missingSocket }, "name");
    expect(await bad({ name: "gpu2", engine: "http://gpu2:2375" }, "engine")).toContain("tcp://HOST:PORT");
    // A Docker API socket is root on that machine: a tcp:// engine needs mutual TLS.
    expect(await bad({ name: "gpu2", engine: "tcp://gpu2.lan:2376" }, "tls_ca")).toContain("mutual TLS");
    const ca = join(dir.path, "ca.pem");
    writeFileSync(ca, "not really a CA");
    expect(await bad({ name: "gpu2", engine: "tcp://gpu2.lan:2376", tls_ca: ca, tls_cert: join(dir.path, "nope.pem"), tls_key: ca }, "tls_cert")).toContain("does not exist");
    await bad({ name: "gpu2", engine: missingSocket, fake_gpus: 65 }, "fake_gpus");
    expect(((await (await h.req("GET", "/v1/nodes")).json()) as { nodes: NodeJson[] }).nodes).toHaveLength(1);
  });

  it("adds an engine that does not answer as down, with the reason; a second node of that name is a 409", async () => {
    const r = await h.req("POST", "/v1/nodes", { name: "gpu2", engine: missingSocket, labels: { zone: "attic" }, fake_gpus: 2 });
    expect(r.status).toBe(201);
    const n = (await r.json()) as NodeJson;
    expect(n).toMatchObject({ name: "gpu2", state: "down", labels: { zone: "attic" }, instances: 0, last_seen_at: null });
    expect(n.error).toContain("Cannot reach the Docker engine");
    expect((await h.req("POST", "/v1/nodes", { name: "gpu2", engine: missingSocket })).status).toBe(409);
    expect((await h.req("POST", "/v1/nodes", { name: "local", engine: missingSocket })).status).toBe(409);
    const { nodes } = (await (await h.req("GET", "/v1/nodes")).json()) as { nodes: NodeJson[] };
    expect(nodes.map((x) => x.name)).toEqual(["local", "gpu2"]);
    const one = await h.req("GET", "/v1/nodes/gpu2");
    expect(one.status).toBe(200);
    expect(((await one.json()) as NodeJson).state).toBe("down");
    expect((await h.req("GET", "/v1/nodes/nope")).status).toBe(404);
  });

  it("drains by name, and undoes it; an unknown node is a 404, the local one a 409", async () => {
    expect((await h.req("POST", "/v1/nodes/gpu2/drain", {})).status).toBe(200);
    expect(h.db.query("SELECT drained FROM nodes WHERE name = 'gpu2'").get()).toEqual({ drained: 1 });
    expect((await h.req("POST", "/v1/nodes/gpu2/drain", { drained: false })).status).toBe(200);
    expect(h.db.query("SELECT drained FROM nodes WHERE name = 'gpu2'").get()).toEqual({ drained: 0 });
    expect((await h.req("POST", "/v1/nodes/nope/drain", {})).status).toBe(404);
    expect((await h.req("POST", "/v1/nodes/local/drain", {})).status).toBe(409);
  });

  it("removes by name (204), then it is gone (404); the local node cannot be removed", async () => {
    expect((await h.req("DELETE", "/v1/nodes/local")).status).toBe(409);
    expect((await h.req("DELETE", "/v1/nodes/gpu2")).status).toBe(204);
    expect((await h.req("DELETE", "/v1/nodes/gpu2")).status).toBe(404);
    expect(h.db.query("SELECT COUNT(*) AS n FROM nodes").get()).toEqual({ n: 0 });
  });

  it("a model's policy pins it to a node or to labels; pinned to a node modelhub does not know, it is refused saying so", async () => {
    h.runtime.addImage("acme/hello:latest", cogLabels(loadSchema("hello-world-cog-0.13.6-pydantic1.json")));
    expect((await h.req("POST", "/v1/models/acme/hello/versions", { image: "acme/hello:latest" })).status).toBe(201);
    const r = await h.req("PATCH", "/v1/models/acme/hello/policy", { node: "zz", node_labels: { gpu: "4090" } });
    expect(r.status).toBe(200);
    const p = (await r.json()) as { policy: Record<string, unknown>; effective: Record<string, unknown> & { sources: Record<string, string> } };
    expect(p.policy).toMatchObject({ node: "zz", node_labels: { gpu: "4090" } });
    expect(p.effective.sources.node).toBe("policy");
    const v = h.catalog.latestVersion(h.catalog.getModel("acme", "hello").id)!;
    expect(h.policies.runSpec(v)).toMatchObject({ node: "zz", nodeLabels: { gpu: "4090" } });
    const pred = await h.req("POST", "/v1/models/acme/hello/predictions", { input: { text: "x" } });
    expect(pred.status).toBe(503);
    expect(((await pred.json()) as { detail: string }).detail).toContain("is pinned to node zz, which modelhub does not know");
    // null resets: anywhere again
    const back = (await (await h.req("PATCH", "/v1/models/acme/hello/policy", { node: null, node_labels: null })).json()) as { effective: Record<string, unknown> };
    expect(back.effective).toMatchObject({ node: null, node_labels: {} });
    expect(h.policies.runSpec(v).node).toBeUndefined();
  });
});
