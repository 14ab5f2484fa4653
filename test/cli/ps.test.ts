// `modelhub ps` shows the registry's disk use from /health under the instance table, even when
// /health answers 503 (Docker unreachable), and leaves the line out for a server without a registry.
import { afterAll, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import { formatPs, formatRegistryDisk } from "../../cli/commands/ps.ts";

const ROOT = join(import.meta.dir, "../..");
setDefaultTimeout(60_000);

const instances = { gpus: { source: "none", note: null, devices: [] }, instances: [], queues: [], versions: [] };
const registry = { blobs: 3, blob_bytes: 1_500_000_000, upload_bytes: 0, uploads_in_progress: 0 };
let health: { status: number; body: unknown } = { status: 200, body: { status: "ok", registry } };
const stub = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(req) {
    const path = new URL(req.url).pathname;
    if (path === "/v1/instances") return Response.json(instances);
    if (path === "/health") return Response.json(health.body, { status: health.status });
    return new Response(null, { status: 404 });
  },
});
afterAll(() => stub.stop(true));

async function ps(...extra: string[]) {
  const env = { ...process.env, MODELHUB_URL: stub.url.origin, MODELHUB_DATA_DIR: "/nonexistent" } as Record<string, string>;
  delete env.MODELHUB_TOKEN;
  const p = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), "ps", ...extra], { env, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { out, err, code };
}

it("prints the registry's disk use from /health", async () => {
  health = { status: 200, body: { status: "ok", registry } };
  const r = await ps();
  expect(r.code).toBe(0);
  expect(r.out).toContain("No instances running.");
  expect(r.out).toContain("Registry disk: 1.5 GB in 3 blobs");
  const j = JSON.parse((await ps("--json")).out);
  expect(j.registry).toEqual(registry);
});

it("still prints it when /health is degraded (503), and not at all without a registry", async () => {
  health = { status: 503, body: { status: "degraded", docker: { ok: false }, registry: { ...registry, uploads_in_progress: 1, upload_bytes: 200_000_000 } } };
  expect((await ps()).out).toContain("Registry disk: 1.5 GB in 3 blobs; uploads: 1 in progress, 200 MB");
  health = { status: 200, body: { status: "ok" } };
  const r = await ps();
  expect(r.code).toBe(0);
  expect(r.out).not.toContain("Registry");
});

it("formats one blob and an empty registry", () => {
  expect(formatRegistryDisk({ blobs: 1, blob_bytes: 512, upload_bytes: 0, uploads_in_progress: 0 })).toBe("Registry disk: 512 B in 1 blob");
  expect(formatPs(instances, { blobs: 0, blob_bytes: 0, upload_bytes: 0, uploads_in_progress: 0 }).split("\n").at(-1)).toBe("Registry disk: 0 B in 0 blobs");
});
