// Proves ./Dockerfile builds a working modelhub image without any registry, and that the
// containerised modelhub runs a model through the host's Docker socket, then stops its
// containers when it is stopped.
import { afterAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { dockerTests } from "../helpers/live-server.ts";

const ROOT = join(import.meta.dir, "../..");
const NAME = `modelhub-dockerfile-test-${process.pid}`;
// A tag of this run's own: other test runs on the same engine build theirs at the same time.
const TAG = `modelhub:test-${process.pid}`;

async function sh(cmd: string[]) {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { out: out.trim(), err, code };
}

describe.skipIf(!dockerTests)("the Dockerfile", () => {
  afterAll(async () => {
    await sh(["docker", "rm", "-f", NAME]);
    await sh(["docker", "rmi", TAG]);
  });

  it("builds an image whose modelhub serves predictions through the host's engine", async () => {
    const build = await sh(["bash", join(ROOT, "cli/scripts/docker-image.sh"), TAG]);
    expect(build.code).toBe(0);
    expect((await sh(["docker", "run", "--rm", TAG, "--version"])).out).toMatch(/^modelhub \d+\.\d+\.\d+/);

    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    const run = await sh(["docker", "run", "-d", "--name", NAME, "--network", "host", "-v", "/var/run/docker.sock:/var/run/docker.sock", TAG, "serve", "--port", String(port), "--data-dir", `/data/${NAME}`]);
    expect(run.code).toBe(0);
    const url = `http://127.0.0.1:${port}`;
    let up = false;
    for (let i = 0; i < 100 && !up; i++) {
      up = await fetch(`${url}/health`).then((r) => r.ok, () => false);
      if (!up) await Bun.sleep(100);
    }
    expect(up).toBe(true);
    // auth is on by default: the first start wrote the admin token into the data volume
    // (printed once on the console; the image has no shell to read the file with)
    const logs = await sh(["docker", "logs", NAME]);
    const token = /mh_[A-Za-z0-9_-]{43}/.exec(logs.out + logs.err)?.[0];
    expect(token).toBeDefined();
    const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
    expect((await fetch(`${url}/v1/models`)).status).toBe(401);
    const add = await fetch(`${url}/v1/models/docker/hello/versions`, { method: "POST", headers, body: JSON.stringify({ image: "modelhub-test/hello:latest" }) });
    expect(add.status).toBeLessThan(300);
    const pred = await fetch(`${url}/v1/predictions`, { method: "POST", headers: { ...headers, prefer: "wait" }, body: JSON.stringify({ version: "docker/hello", input: { text: "inside" } }) });
    expect((await pred.json()).output).toBe("hello inside");

    expect((await sh(["docker", "stop", "-t", "10", NAME])).code).toBe(0);
    expect((await sh(["docker", "inspect", "-f", "{{.State.ExitCode}}", NAME])).out).toBe("0");
    // the containerised modelhub owns containers labelled with the hash of its data folder (one of
    // its own, so another run of this test on the same engine cannot be mistaken for it)
    const owner = new Bun.CryptoHasher("sha256").update(`/data/${NAME}`).digest("hex").slice(0, 16);
    expect((await sh(["docker", "ps", "-aq", "--filter", `label=dev.modelhub.owner=${owner}`])).out).toBe("");
  });
});
