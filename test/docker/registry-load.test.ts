// Pushed versions loaded into the real engine from stored blobs (`docker load` of a tar modelhub
// builds as it sends it) instead of pulled: forced with --registry-import load, and chosen on its own
// when the engine cannot pull from modelhub's address (here: a non-loopback address, where Docker
// wants HTTPS). The image is pushed with skopeo from a `docker save` archive and removed from the
// engine first, so only the load can bring it back.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dockerTests, startLiveServer, type LiveServer } from "../helpers/live-server.ts";
import { removeImagesOf, run } from "../helpers/registry-images.ts";

const haveSkopeo = Bun.which("skopeo") !== null;
const stamp = `${process.pid}-${Date.now()}`;

describe.skipIf(!dockerTests || !haveSkopeo)("pushed versions loaded from stored blobs", () => {
  const dir = mkdtempSync(join(tmpdir(), "modelhub-registry-load-"));
  const archive = join(dir, "image.tar");
  const local = `modelhub-test-load:${stamp}`;
  let imageId = "";
  const servers: { s: LiveServer; host: string }[] = [];

  beforeAll(async () => {
    // A Cog image the engine does not have: the hello fixture with one more label (same layers).
    writeFileSync(join(dir, "Dockerfile"), "FROM modelhub-test/hello:latest\n");
    const built = await run(["docker", "build", "-q", "-t", local, "--label", `modelhub.test.load=${stamp}`, dir], { DOCKER_BUILDKIT: "0" });
    expect(built.code).toBe(0);
    imageId = (await run(["docker", "image", "inspect", "-f", "{{.Id}}", local])).out.trim();
    expect((await run(["docker", "save", "-o", archive, local])).code).toBe(0);
    expect((await run(["docker", "rmi", local])).code).toBe(0);
    expect((await run(["docker", "image", "inspect", imageId])).code).not.toBe(0);
  });
  afterAll(async () => {
    for (const { s, host } of servers) {
      await s[Symbol.asyncDispose]();
      await removeImagesOf(host);
    }
    await run(["docker", "rmi", local]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** skopeo push of the archive; returns the manifest digest. */
  async function push(host: string, repo: string, creds?: string): Promise<string> {
    const digestFile = join(dir, `${repo.replace("/", "-")}.digest`);
    const r = await run(["skopeo", "copy", "--dest-tls-verify=false", ...(creds ? ["--dest-creds", creds] : []), "--digestfile", digestFile, `docker-archive:${archive}`, `docker://${host}/${repo}:v1`]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    return readFileSync(digestFile, "utf8").trim();
  }

  async function imported(s: LiveServer, repo: string, id: string, headers: Record<string, string> = {}) {
    for (let i = 0; i < 600; i++) {
      const v = await s.api("GET", `/v1/models/${repo}/versions/${id}`, undefined, headers);
      if (v.body?.import?.status !== "importing") return v.body;
      await Bun.sleep(100);
    }
    throw new Error("the import did not finish in 60 s");
  }

  it("--registry-import load: the engine gets the image from a load, and the version answers a prediction", async () => {
    const s = await startLiveServer({ "registry-import": "load" });
    const host = `127.0.0.1:${s.port}`;
    servers.push({ s, host });
    const digest = await push(host, "alice/loaded");
    const id = digest.slice(7);
    const v = await imported(s, "alice/loaded", id);
    expect(v.import).toEqual({ status: "ready", progress: null, error: null });
    // the engine has the image by id and by the tag the load gave it, but no digest reference (no pull)
    const tags = JSON.parse((await run(["docker", "image", "inspect", "-f", "{{json .RepoTags}}", imageId])).out);
    expect(tags).toContain(`${host}/alice/loaded:sha256-${id}`);
    expect((await run(["docker", "image", "inspect", `${host}/alice/loaded@${digest}`])).code).not.toBe(0);
    const p = await s.api("POST", "/v1/predictions", { version: "alice/loaded", input: { text: "load" } }, { prefer: "wait" });
    expect(p.body.error).toBeNull();
    expect(p.body.output).toBe("hello load");
  });

  it("when the engine cannot pull from modelhub's address, the version is loaded instead", async () => {
    // Docker pulls plain HTTP only from loopback (or configured insecure registries): modelhub on the
    // docker bridge's host address makes the engine's pull fail the way a LAN address does.
    const bridge = (await run(["docker", "network", "inspect", "bridge", "-f", "{{(index .IPAM.Config 0).Gateway}}"])).out.trim();
    expect(bridge).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const s = await startLiveServer({ host: bridge, auth: "on" });
    const host = `${bridge}:${s.port}`;
    servers.push({ s, host });
    const token = readFileSync(join(s.dataDir, "admin-token"), "utf8").trim();
    const auth = { authorization: `Bearer ${token}` };
    const digest = await push(host, "alice/fallback", `admin:${token}`);
    const v = await imported(s, "alice/fallback", digest.slice(7), auth);
    expect(v.import).toEqual({ status: "ready", progress: null, error: null });
    const tags = JSON.parse((await run(["docker", "image", "inspect", "-f", "{{json .RepoTags}}", imageId])).out);
    expect(tags).toContain(`${host}/alice/fallback:sha256-${digest.slice(7)}`);
  });
});
