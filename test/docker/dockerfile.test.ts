// Proves ./Dockerfile builds a working modelhub image without any registry, and that the
// containerised modelhub runs a model through the host's Docker socket, then stops its
// containers when it is stopped.
import { afterAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { dockerTests } from "../helpers/live-server.ts";

const ROOT = join(import.meta.dir, "../..");
const NAME = `modelhub-dockerfile-test-${process.pid}`;

async function sh(cmd: string[]) {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { out: out.trim(), err, code };
}

describe.skipIf(!dockerTests)("the Dockerfile", () => {
  afterAll(async () => {
    await sh(["docker", "rm", "-f", NAME]);
  });

  it("builds an image whose modelhub serves predictions through the host's engine", async () => {
    const build = await sh(["bash", join(ROOT, "cli/scripts/docker-image.sh"), "modelhub:test"]);
    expect(build.code).toBe(0);
    expect((await sh(["docker", "run", "--rm", "modelhub:test", "--version"])).out).toMatch(/^modelhub \d+\.\d+\.\d+/);

    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    const run = await sh(["docker", "run", "-d", "--name", NAME, "--network", "host", "-v", "/var/run/docker.sock:/var/run/docker.sock", "modelhub:test", "serve", "--port", String(port), "--data-dir", `/data/${NAME}`]);
    expect(run.code).toBe(0);
    const url = `http://127.0.0.1:${port}`;
    let up = false;
    for (let i = 0; i < 100 && !up; i++) {
      up = await fetch(`${url}/health`).then((r) => r.ok, () => false);
      if (!up) await Bun.sleep(100);
    }
    expect(up).toBe(true);
    const add = await fetch(`${url}/v1/models/docker/hello/versions`, { method: "POST", body: JSON.stringify({ image: "modelhub-test/hello:latest" }) });
    expect(add.status).toBeLessThan(300);
    const pred = await fetch(`${url}/v1/predictions`, { method: "POST", headers: { prefer: "wait" }, body: JSON.stringify({ version: "docker/hello", input: { text: "inside" } }) });
    expect((await pred.json()).output).toBe("hello inside");

    expect((await sh(["docker", "stop", "-t", "10", NAME])).code).toBe(0);
    expect((await sh(["docker", "inspect", "-f", "{{.State.ExitCode}}", NAME])).out).toBe("0");
    // the containerised modelhub owns containers labelled with the hash of its data folder (one of
    // its own, so another run of this test on the same engine cannot be mistaken for it)
    const owner = new Bun.CryptoHasher("sha256").update(`/data/${NAME}`).digest("hex").slice(0, 16);
    expect((await sh(["docker", "ps", "-aq", "--filter", `label=dev.modelhub.owner=${owner}`])).out).toBe("");
  });
});
