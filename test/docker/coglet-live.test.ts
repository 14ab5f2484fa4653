// modelhub against today's Cog images on the real engine: the coglet fixture images (Cog 0.22
// builds, the Rust server's protocol) and the pydantic-2 Python server image. Each test is a row of
// docs/cog-protocol.md's coglet table, through the HTTP API a user sees. The scenarios both lines
// share (a failed prediction's logs, setup failure and crash among them) run per line in foundation-e2e, predictions-live,
// predictions-files and replicate-client.
// Runs only with MODELHUB_TEST_DOCKER=1.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { Value } from "@sinclair/typebox/value";
import { InstancesView } from "../../server/contract/wire-extensions.ts";
import { dockerTests, type LiveServer, startLiveServer } from "../helpers/live-server.ts";
import { until } from "../helpers/until.ts";

const T = 90_000;
const CLI = join(import.meta.dir, "../../cli/main.ts");

// Async spawn: the server runs in this process, so a blocking spawn would deadlock it.
async function cli(args: string[], url: string) {
  const p = Bun.spawn([process.execPath, CLI, ...args], { env: { ...process.env, MODELHUB_URL: url }, stdout: "pipe", stderr: "pipe" });
  const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
  return { code, out };
}

describe.skipIf(!dockerTests)("coglet and pydantic-2 images (real engine)", () => {
  let s: LiveServer;
  const version: Record<string, string> = {};

  beforeAll(async () => {
    s = await startLiveServer();
    const added = await cli(["models", "add", "modelhub-test/coglet-hello:latest", "--name", "cg/coglet-hello"], s.url);
    expect(added.out).toContain("cog 0.22.0 (coglet, the Rust server of Cog 0.17+)");
    version["coglet-hello"] = (await s.api("GET", "/v1/models/cg/coglet-hello")).body.latest_version.id;
    for (const name of ["coglet-files-drop", "coglet-concurrent", "pydantic2-image"])
      version[name] = await s.addModel(`modelhub-test/${name}:latest`, `cg/${name}`);
  }, T);
  afterAll(async () => {
    await s?.[Symbol.asyncDispose]();
  });

  const wait = (name: string, input: Record<string, unknown>) => s.api("POST", "/v1/predictions", { version: version[name], input }, { prefer: "wait=60" });

  it("says what runs: the label's line before a container is up, the container's own word after", async () => {
    const path = `/v1/models/cg/coglet-hello/versions/${version["coglet-hello"]}`;
    expect((await s.api("GET", path)).body.cog_runtime).toEqual({ line: "coglet", source: "label", server_version: null });
    const p = await wait("coglet-hello", { text: "live" });
    expect([p.body.status, p.body.output]).toEqual(["succeeded", "hello live"]);
    expect((await s.api("GET", path)).body.cog_runtime).toEqual({ line: "coglet", source: "container", server_version: "0.22.0" });
    const answer = (await s.api("GET", "/v1/instances")).body;
    // a real answer with a live instance matches the contract's schema, field for field
    expect([...Value.Errors(InstancesView, answer)].map((e) => `${e.path} ${e.message}`)).toEqual([]);
    const instances = answer.instances;
    expect(instances.find((i: any) => i.version === version["coglet-hello"]).cog_server).toBe("coglet 0.22.0");
    expect((await cli(["ps"], s.url)).out).toMatch(/cg\/coglet-hello .*coglet 0\.22\.0/);
    const py = await s.api("GET", `/v1/models/cg/pydantic2-image/versions/${version["pydantic2-image"]}`);
    expect(py.body.cog_runtime).toEqual({ line: "python", source: "label", server_version: null });
  }, T);

  it("returns every file of a list output in the model's order although an upload would have failed", async () => {
    const p = await wait("coglet-files-drop", { count: 3 });
    expect(p.body.status).toBe("succeeded");
    const texts = await Promise.all((p.body.output as string[]).map(async (u) => (await fetch(u)).text()));
    expect(texts).toEqual(["file 0 of 3\n", "file 1 of 3\n", "file 2 of 3\n"]);
  }, T);

  it("runs four predictions at once in one coglet-concurrent container; no 409 reaches a user", async () => {
    const ps = await Promise.all(Array.from({ length: 6 }, () => s.api("POST", "/v1/predictions", { version: version["coglet-concurrent"], input: { seconds: 1 } })));
    const ids = ps.map((p) => p.body.id as string);
    const done = await Promise.all(
      ids.map((id) =>
        until(`prediction ${id}`, async () => {
          const r = (await s.api("GET", `/v1/predictions/${id}`)).body;
          return ["succeeded", "failed", "canceled"].includes(r.status) ? r : null;
        }, 60_000),
      ),
    );
    expect(done.map((d: any) => [d.status, d.error])).toEqual(Array(6).fill(["succeeded", null]));
    const inst = (await s.api("GET", "/v1/instances")).body.instances.find((i: any) => i.version === version["coglet-concurrent"]);
    expect(inst.concurrency).toBe(4);
  }, T);

  it("runs a pydantic-2 sync prediction that leaves out an optional file input (its sync answer is HTTP 500)", async () => {
    const p = await wait("pydantic2-image", { width: 256, height: 16 });
    expect([p.body.status, p.body.error]).toEqual(["succeeded", null]);
    expect(String(p.body.output)).toContain("/files/");
  }, T);
});
