// `modelhub export` then `modelhub import` into a second modelhub with its own data folder (same
// engine): the bundle carries the catalog entry (description, visibility, policy) and the image, and
// the imported model runs.
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dockerTests, startLiveServer, type LiveServer } from "../helpers/live-server.ts";
import { tempDir } from "../helpers/temp-dir.ts";

// Containers boot on first use and the machine may be busy: minutes, not the default 5 s.
setDefaultTimeout(120_000);

const ROOT = join(import.meta.dir, "../..");

describe.skipIf(!dockerTests)("modelhub export / import", () => {
  let a: LiveServer;
  let b: LiveServer;
  const dir = tempDir("modelhub-bundle-");
  // A tag of this test's own: `docker load` re-points the tags in the bundle, and the shared fixture
  // tags must never move under other tests.
  const tag = `modelhub-test-cli/bundle-src:${process.pid}`;
  beforeAll(async () => {
    expect(Bun.spawnSync(["docker", "tag", "modelhub-test/hello:latest", tag]).exitCode).toBe(0);
    a = await startLiveServer();
    b = await startLiveServer();
    await a.addModel(tag, "acme/hello");
    await a.api("PATCH", "/v1/models/acme/hello", { description: "says hello", visibility: "private" });
    await a.api("PATCH", "/v1/models/acme/hello/policy", { idle_timeout: 77, max_instances: 2 });
  }, 60_000);
  afterAll(async () => {
    await a?.[Symbol.asyncDispose]();
    await b?.[Symbol.asyncDispose]();
    dir[Symbol.dispose]();
    Bun.spawnSync(["docker", "rmi", tag]);
  });

  async function cli(url: string, ...args: string[]) {
    const dataDir = url === a.url ? a.dataDir : b.dataDir; // where a server would keep its admin token
    const p = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), ...args], { env: { ...process.env, MODELHUB_URL: url, MODELHUB_DATA_DIR: dataDir }, stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    return { out, err, code };
  }

  it("exports a bundle that is a tar with the catalog entry first and the docker save image after", async () => {
    const file = join(dir.path, "hello.tar");
    const r = await cli(a.url, "export", "acme/hello", "-o", file);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/Exporting acme\/hello:[0-9a-f]{12} \[=+>?\s*\] [\d.]+ MB \/ [\d.]+ MB/);
    expect(r.err).toContain(`Wrote ${file}`);
    const list = Bun.spawnSync(["tar", "-tf", file]).stdout.toString().split("\n");
    expect(list[0]).toBe("modelhub-bundle.json");
    expect(list).toContain("manifest.json"); // docker save's own
    // Never overwritten without --force.
    const again = await cli(a.url, "export", "acme/hello", "-o", file);
    expect(again.code).toBe(2);
    expect(again.err).toContain("--force");
  }, 60_000);

  it("imports into another data folder: same version, description, visibility and policy, and it runs", async () => {
    const file = join(dir.path, "hello.tar");
    const r = await cli(b.url, "import", file);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/Importing acme\/hello:[0-9a-f]{12} .* 0s/);
    const src = (await a.api("GET", "/v1/models/acme/hello")).body;
    const m = (await b.api("GET", "/v1/models/acme/hello")).body;
    expect(m.latest_version.id).toBe(src.latest_version.id);
    expect(m).toMatchObject({ description: "says hello", visibility: "private" });
    expect((await b.api("GET", "/v1/models/acme/hello/policy")).body.policy).toMatchObject({ idle_timeout: 77, max_instances: 2 });
    const run = await cli(b.url, "predict", "acme/hello", "-i", "text=moved");
    expect(run.code).toBe(0);
    expect(run.out).toBe("hello moved\n");
  }, 60_000);

  it("refuses a file that is not a bundle, as a usage error", async () => {
    const junk = join(dir.path, "junk.tar");
    writeFileSync(junk, "not a tar at all".repeat(100));
    const r = await cli(b.url, "import", junk);
    expect(r.code).toBe(2);
    expect(r.err).toContain("is not a modelhub bundle");
    expect(existsSync(join(dir.path, "hello.tar.partial"))).toBe(false);
  });

  it("a load fed something that is not an image tar is a 400, not a 5xx", async () => {
    const start = await b.api("POST", "/v1/images/loads");
    expect(start.status).toBe(201);
    const put = await fetch(`${b.url}/v1/images/loads/${start.body.id}?offset=0`, { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: "garbage".repeat(1000) });
    const finish = put.ok ? await fetch(`${b.url}/v1/images/loads/${start.body.id}/finish`, { method: "POST" }) : put;
    expect(finish.status).toBe(400);
    expect((await finish.json()).detail).toContain("not an image tar");
  });
});
