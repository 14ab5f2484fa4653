// `modelhub pull` against a local registry (Debian's docker-registry): an image with a layer the
// engine does not have is pulled with per-layer progress and a total, then added to the catalog and run.
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dockerTests, startLiveServer, type LiveServer } from "../helpers/live-server.ts";
import { type LocalRegistry, startLocalRegistry } from "../helpers/local-registry.ts";
import { tempDir } from "../helpers/temp-dir.ts";

// Containers boot on first use and the machine may be busy: minutes, not the default 5 s.
setDefaultTimeout(120_000);

const ROOT = join(import.meta.dir, "../..");

async function docker(...args: string[]) {
  const p = Bun.spawn(["docker", ...args], { stdout: "pipe", stderr: "pipe" });
  const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`docker ${args.join(" ")}: ${err}`);
}

describe.skipIf(!dockerTests)("modelhub pull", () => {
  let s: LiveServer;
  let registry: LocalRegistry;
  let ref: string;
  const tag = `modelhub-test-cli/pull-src:${process.pid}`;
  beforeAll(async () => {
    s = await startLiveServer();
    registry = await startLocalRegistry();
    // A Cog image with one layer of its own (random bytes), pushed and then removed locally, so the
    // pull really downloads something.
    using dir = tempDir();
    writeFileSync(join(dir.path, "blob"), randomBytes(8_000_000));
    writeFileSync(join(dir.path, "Dockerfile"), "FROM modelhub-test/hello:latest\nCOPY blob /blob\n");
    await docker("build", "-q", "-t", tag, dir.path);
    ref = await registry.push(tag, "acme/pulled:v1");
    await docker("rmi", tag, ref);
  }, 120_000);
  afterAll(async () => {
    await s?.[Symbol.asyncDispose]();
    await registry?.[Symbol.asyncDispose]();
    await docker("rmi", ref).catch(() => {});
  });

  async function cli(...args: string[]) {
    const p = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), ...args], { env: { ...process.env, MODELHUB_URL: s.url, MODELHUB_DATA_DIR: s.dataDir }, stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    return { out, err, code };
  }

  it("pulls with per-layer progress and a total, adds the model, and it runs", async () => {
    const r = await cli("pull", ref, "--name", "acme/pulled");
    expect(r.code).toBe(0);
    expect(r.err).toContain("Pulling from acme/pulled");
    expect(r.err).toMatch(/[0-9a-f]{12}: Already exists/); // the base layers
    expect(r.err).toMatch(/[0-9a-f]{12}: Downloading/);
    expect(r.err).toMatch(/[0-9a-f]{12}: Pull complete/);
    expect(r.err).toMatch(/Total: 8\.\d MB \/ 8\.\d MB/);
    expect(r.out).toContain(`Added ${ref} as acme/pulled`);
    const m = (await s.api("GET", "/v1/models/acme/pulled")).body;
    expect(m.latest_version.image).toBe(ref);
    const run = await cli("predict", "acme/pulled", "-i", "text=pulled");
    expect(run.out).toBe("hello pulled\n");
  }, 120_000);

  it("a bad reference is a 400 before the engine sees it; an unknown image a 404", async () => {
    const bad = await s.api("POST", "/v1/images/pull", { image: "acme/x y:../1" });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain("not an image reference");
    const r = await cli("pull", `${registry.host}/acme/missing:v1`);
    expect(r.code).toBe(1);
    expect(r.err).toContain("error (HTTP 404)");
    expect(r.err).toContain("manifest unknown");
  });
});
