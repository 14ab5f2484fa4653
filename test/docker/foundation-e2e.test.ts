// Proves the foundation end to end on the real engine, on both Cog runtime lines (Python server and
// coglet): a Cog image imported through the CLI, one prediction from the /v1 API into a real
// container and back (Replicate's shape), the container kept for the next call, setup failures
// reported with their logs and remembered, a crashed model failing its prediction with the reason;
// and a stopped Docker engine answered with a 503 that names it — then recovered without a restart.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { RUNTIME_LINES } from "../fixtures/runtime-lines.ts";
import { dockerSocketProxy } from "../helpers/docker-socket-proxy.ts";
import { dockerTests, startLiveServer, type LiveServer } from "../helpers/live-server.ts";
import { until } from "../helpers/until.ts";

const ROOT = join(import.meta.dir, "../..");
const BUN = process.execPath;

// Async spawn: the server runs in this process, so a blocking spawn would deadlock it.
async function cli(args: string[], url: string) {
  const p = Bun.spawn([BUN, join(ROOT, "cli/main.ts"), ...args], { env: { ...process.env, MODELHUB_URL: url }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}

/** Containers (running or not) of this version started by the server `s` (other test files may run the same image). */
function containersOf(versionId: string, s: LiveServer, all = true): string[] {
  const owner = new Bun.CryptoHasher("sha256").update(s.dataDir).digest("hex").slice(0, 16);
  const p = Bun.spawnSync(["docker", "ps", ...(all ? ["-aq"] : ["-q"]), "--filter", `label=dev.modelhub.version=${versionId}`, "--filter", `label=dev.modelhub.owner=${owner}`]);
  return p.stdout.toString().split("\n").filter(Boolean);
}

const runningContainersOf = (versionId: string, s: LiveServer) => containersOf(versionId, s, false);

describe.skipIf(!dockerTests)("foundation: one prediction end to end", () => {
  let s: LiveServer;
  beforeAll(async () => {
    s = await startLiveServer();
  });
  afterAll(async () => {
    await s?.[Symbol.asyncDispose]();
  });

  it("refuses an image without Cog labels", async () => {
    const bad = await cli(["models", "add", "modelhub-test/not-cog:latest"], s.url);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("not a Cog image");
  });

  for (const L of RUNTIME_LINES) {
    describe(`${L.line} line`, () => {
      const hello = `demo/${L.prefix}hello`;

      it("imports a Cog image through the CLI, saying which Cog server it runs", async () => {
        const ok = await cli(["models", "add", L.image("hello"), "--name", hello], s.url);
        expect(ok.code).toBe(0);
        expect(ok.out).toContain(`Added ${L.image("hello")} as ${hello}`);
        expect(ok.out).toContain(`cog ${L.cogVersion} (${L.line === "coglet" ? "coglet, the Rust server of Cog 0.17+" : "Cog's Python server"})`);
        const list = await cli(["models"], s.url);
        expect(list.out).toMatch(new RegExp(`${hello}\\s+[0-9a-f]{12}\\s+${L.cogVersion.replaceAll(".", "\\.")}`));
      });

      it("lists and gets models and versions in Replicate's shape", async () => {
        const page = await s.api("GET", "/v1/models");
        expect(page.status).toBe(200);
        expect(page.body.results.map((m: any) => `${m.owner}/${m.name}`)).toContain(hello);
        const m = await s.api("GET", `/v1/models/${hello}`);
        expect(m.body).toMatchObject({ owner: "demo", name: `${L.prefix}hello`, visibility: "public", run_count: 0, url: `${s.url}/models/${hello}` });
        expect(m.body.latest_version.id).toMatch(/^[0-9a-f]{64}$/);
        expect(m.body.latest_version.cog_version).toBe(L.cogVersion);
        expect(m.body.latest_version.cog_runtime).toEqual({ line: L.line, source: "label", server_version: null });
        expect(m.body.latest_version.openapi_schema.components.schemas.Input.required).toEqual(["text"]);
        const versions = await s.api("GET", `/v1/models/${hello}/versions`);
        expect(versions.body.results.map((v: any) => v.id)).toEqual([m.body.latest_version.id]);
      });

      it("runs a prediction with Prefer: wait, keeps it, and reuses the container", async () => {
        const versionId = (await s.api("GET", `/v1/models/${hello}`)).body.latest_version.id;
        const r = await s.api("POST", "/v1/predictions", { version: versionId, input: { text: "world" } }, { prefer: "wait" });
        expect(r.status).toBe(201);
        const p = r.body;
        expect(p).toMatchObject({ status: "succeeded", output: "hello world", model: hello, version: versionId, error: null, input: { text: "world" } });
        expect(p.id).toMatch(/^[a-z2-7]{26}$/);
        for (const t of [p.created_at, p.started_at, p.completed_at]) expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
        expect(typeof p.metrics.predict_time).toBe("number");
        expect(typeof p.logs).toBe("string");
        expect(p.urls.get).toBe(`${s.url}/v1/predictions/${p.id}`);
        expect(p.urls.cancel).toBe(`${s.url}/v1/predictions/${p.id}/cancel`);

        const again = await s.api("GET", `/v1/predictions/${p.id}`);
        expect(again.body).toEqual(p);

        const containers = containersOf(versionId, s);
        expect(containers.length).toBe(1);
        const second = await s.api("POST", "/v1/predictions", { version: hello, input: { text: "again" } }, { prefer: "wait" });
        expect(second.body.output).toBe("hello again");
        expect(containersOf(versionId, s)).toEqual(containers);
        // What runs, as the container itself answered.
        expect((await s.api("GET", `/v1/models/${hello}/versions/${versionId}`)).body.cog_runtime).toMatchObject({ line: L.line, source: "container" });
      });

      it("answers 422 naming the field before any container starts", async () => {
        const r = await s.api("POST", "/v1/predictions", { version: hello, input: {} }, { prefer: "wait" });
        expect(r.status).toBe(422);
        expect(r.headers.get("content-type")).toContain("application/problem+json");
        expect(r.body.detail).toContain("text");
        expect(r.body.invalid_fields).toEqual([{ field: "text", rule: "required", message: "is required" }]);
      });

      it("fails a bad setup with what setup() printed, then fails fast with the same reason without a new container", async () => {
        const versionId = await s.addModel(L.image("bad-setup"), `demo/${L.prefix}bad-setup`);
        const first = (await s.api("POST", "/v1/predictions", { version: versionId, input: { text: "x" } }, { prefer: "wait" })).body;
        expect(first.status).toBe("failed");
        expect(first.error).toContain("setup failed");
        expect(first.logs).toContain("found 0 weight files"); // setup()'s own output, whichever server ran it
        expect(first.logs).toContain("Traceback");
        expect(first.logs).toContain("weights file /src/weights/model.safetensors is missing");
        // The Python server exits after a failed setup, coglet stays up: either way modelhub removes it.
        await until("the failed container to be removed", async () => containersOf(versionId, s).length === 0, 20_000);

        const t0 = performance.now();
        const second = (await s.api("POST", "/v1/predictions", { version: versionId, input: { text: "x" } }, { prefer: "wait" })).body;
        expect(second.status).toBe("failed");
        expect(second.error).toBe(first.error);
        expect(second.logs).toBe(first.logs);
        expect(second.started_at).toBeNull(); // never reached a container
        expect(containersOf(versionId, s)).toEqual([]);
        expect(performance.now() - t0).toBeLessThan(5000);
      });

      it("fails a prediction whose model process died with the reason and its logs, and replaces the container", async () => {
        const versionId = await s.addModel(L.image("crash"), `demo/${L.prefix}crash`);
        const p = (await s.api("POST", "/v1/predictions", { version: versionId, input: { text: "boom" } }, { prefer: "wait" })).body;
        expect(p.status).toBe("failed");
        expect(p.error).toContain(L.crashError);
        expect(p.logs).toContain('about to crash while handling "boom"');
        // Python: the container exited; coglet: it stays up with a dead worker and modelhub stops it at once.
        await until("the crashed container to be gone", async () => runningContainersOf(versionId, s).length === 0, 20_000);
      });
    });
  }
});

describe.skipIf(!dockerTests)("foundation: a stopped Docker engine", () => {
  const proxy = dockerSocketProxy(join(tmpdir(), `modelhub-docker-proxy-${process.pid}.sock`));
  let s: LiveServer;
  afterAll(async () => {
    await s?.[Symbol.asyncDispose]();
    proxy.down();
  });

  it("still starts, answers 503 naming the engine, and works once the engine is back", async () => {
    proxy.up();
    s = await startLiveServer({ "docker-host": `unix://${proxy.path}` });
    const versionId = await s.addModel("modelhub-test/hello:latest", "demo/hello");
    proxy.down();

    const health = await s.api("GET", "/health");
    expect(health.status).toBe(503);
    expect(health.body.docker.error).toContain(proxy.path);

    expect((await s.api("GET", "/v1/models")).status).toBe(200); // the catalog does not need Docker
    const down = await s.api("POST", "/v1/predictions", { version: versionId, input: { text: "x" } }, { prefer: "wait" });
    expect(down.status).toBe(503);
    expect(down.body.detail).toContain(`Cannot reach the Docker engine at unix://${proxy.path}`);
    expect((await s.api("GET", "/v1/predictions")).body.results).toEqual([]); // nothing half-accepted

    proxy.up();
    const up = await s.api("POST", "/v1/predictions", { version: versionId, input: { text: "back" } }, { prefer: "wait" });
    expect(up.status).toBe(201);
    expect(up.body.output).toBe("hello back");
  });
});

describe.skipIf(!dockerTests)("the compiled binary", () => {
  it("builds, prints its version and help, and serves the embedded UI and API", async () => {
    const build = Bun.spawnSync([BUN, "run", join(ROOT, "cli/build.ts")]);
    expect(build.exitCode).toBe(0);
    const bin = join(ROOT, "dist/modelhub");
    expect(Bun.spawnSync([bin, "--version"]).stdout.toString()).toMatch(/^modelhub \d+\.\d+\.\d+/);
    const help = Bun.spawnSync([bin, "--help"]).stdout.toString();
    for (const s of ["serve", "models add", "--data-dir", "MODELHUB_PORT", "--host", "default 127.0.0.1"]) expect(help).toContain(s);

    const dataDir = join(tmpdir(), `modelhub-bin-${process.pid}`);
    // cwd elsewhere: the compiled binary must not need the source tree for its UI
    const proc = Bun.spawn([bin, "serve", "--port", "0", "--data-dir", dataDir, "--log-level", "warn", "--auth", "off"], { cwd: tmpdir(), stderr: "pipe" });
    try {
      const reader = proc.stderr.getReader();
      let text = "";
      while (!/serving on (\S+)/.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`serve exited: ${text}`);
        text += new TextDecoder().decode(value);
      }
      const url = /serving on (\S+)/.exec(text)![1];
      const html = await (await fetch(`${url}/`)).text();
      expect(html).toContain('<div id="app">');
      const script = /src="([^"]+\.js)"/.exec(html)![1];
      const js = await fetch(`${url}${script}`);
      expect(js.status).toBe(200);
      expect((await fetch(`${url}/v1/models`)).status).toBe(200);
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0); // clean shutdown on SIGTERM
    } finally {
      proc.kill("SIGKILL");
      Bun.spawnSync(["rm", "-rf", dataDir]);
    }
  });
});

describe.skipIf(!dockerTests)("foundation: a port that is taken", () => {
  it("refuses to start a second modelhub on it (another process), saying why, instead of sharing it", async () => {
    await using first = await startLiveServer();
    const dataDir = join(tmpdir(), `modelhub-port-taken-${process.pid}`);
    const p = Bun.spawn([BUN, join(ROOT, "cli/main.ts"), "serve", "--port", String(first.port), "--data-dir", dataDir, "--log-level", "error"], { stdout: "pipe", stderr: "pipe" });
    const timer = setTimeout(() => p.kill("SIGKILL"), 20_000); // a second server that did start would never exit
    const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
    clearTimeout(timer);
    Bun.spawnSync(["rm", "-rf", dataDir]);
    expect(code).toBe(1);
    expect(err).toContain(`cannot listen on 127.0.0.1:${first.port}`);
    expect(err).toContain("--port");
    expect((await first.api("GET", "/v1/models")).status).toBe(200);
  });
});
