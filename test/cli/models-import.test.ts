// `modelhub models` shows a pushed version's import state (importing with progress, failed with the
// engine's error) next to its id until the engine has the image; a ready version shows the id alone.
import { afterAll, expect, it, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import { versionLabel } from "../../cli/commands/models.ts";

const ROOT = join(import.meta.dir, "../..");
setDefaultTimeout(60_000);

type Import = Parameters<typeof versionLabel>[0]["import"];
const id = "a".repeat(64);
const version = (imp: Import) => ({ id, cog_version: "0.13.6", created_at: "2026-12-02T08:00:00Z", openapi_schema: {}, import: imp });
const model = (imp: Import) => ({ owner: "alice", name: "tiny", description: null, visibility: "public", run_count: 0, latest_version: version(imp) });
const state: Import = { status: "importing", progress: "loading from stored blobs: 40% of 120 MB", error: null };
const stub = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(req) {
    if (new URL(req.url).pathname === "/v1/models") return Response.json({ next: null, previous: null, results: [model(state)] });
    return new Response(null, { status: 404 });
  },
});
afterAll(() => stub.stop(true));

async function models() {
  const env = { ...process.env, MODELHUB_URL: stub.url.origin, MODELHUB_DATA_DIR: "/nonexistent" } as Record<string, string>;
  delete env.MODELHUB_TOKEN;
  const p = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), "models"], { env, stdout: "pipe", stderr: "pipe" });
  const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
  return { out, code };
}

it("modelhub models shows an importing version with its progress", async () => {
  const r = await models();
  expect(r.code).toBe(0);
  expect(r.out).toContain("aaaaaaaaaaaa (importing: loading from stored blobs: 40% of 120 MB)");
});

it("a failed import shows the error; a ready one the id alone; long progress is shortened", () => {
  expect(versionLabel(version({ status: "failed", progress: null, error: "the engine could not load it" }))).toBe("aaaaaaaaaaaa (failed: the engine could not load it)");
  expect(versionLabel(version({ status: "ready", progress: null, error: null }))).toBe("aaaaaaaaaaaa");
  expect(versionLabel(version(undefined))).toBe("aaaaaaaaaaaa");
  expect(versionLabel(version({ status: "importing", progress: "x".repeat(100), error: null }))).toBe(`aaaaaaaaaaaa (importing: ${"x".repeat(47)}…)`);
});
