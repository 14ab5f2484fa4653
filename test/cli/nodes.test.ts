// `modelhub nodes`: the CA helper makes certificates openssl itself accepts (the engine's for its
// hosts and server use, modelhub's for client use, both signed by the CA, keys readable by the owner
// only); `nodes ls` shows state, GPUs, instances and last seen; repeated --label flags all arrive;
// every nodes command has its own help.
import { describe, expect, it } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "../../cli/args.ts";
import { formatNodes, makeCa, parseLabels } from "../../cli/commands/nodes.ts";
import { findCommand } from "../../cli/help.ts";
import { tempDir } from "../helpers/temp-dir.ts";

const openssl = (args: string[], cwd: string) => {
  const p = Bun.spawnSync(["openssl", ...args], { cwd });
  return { code: p.exitCode, out: p.stdout.toString() + p.stderr.toString() };
};

describe("modelhub nodes ca", () => {
  it("makes a CA, a server certificate for the node's hosts and a client certificate, and prints the dockerd flags", async () => {
    using dir = tempDir("modelhub-ca-");
    const out = join(dir.path, "certs");
    const text = await makeCa(out, "gpu2.lan,10.0.0.7", 30);
    for (const f of ["ca.pem", "ca-key.pem", "server-cert.pem", "server-key.pem", "cert.pem", "key.pem"]) expect(statSync(join(out, f)).size).toBeGreaterThan(0);
    for (const k of ["ca-key.pem", "server-key.pem", "key.pem"]) expect(statSync(join(out, k)).mode & 0o777).toBe(0o600);
    expect(openssl(["verify", "-CAfile", "ca.pem", "server-cert.pem", "cert.pem"], out)).toMatchObject({ code: 0 });
    const server = openssl(["x509", "-in", "server-cert.pem", "-noout", "-text"], out).out;
    expect(server).toContain("DNS:gpu2.lan");
    expect(server).toContain("IP Address:10.0.0.7");
    expect(server).toContain("TLS Web Server Authentication");
    expect(openssl(["x509", "-in", "cert.pem", "-noout", "-text"], out).out).toContain("TLS Web Client Authentication");
    expect(text).toContain("dockerd --tlsverify --tlscacert=/etc/docker/ca.pem");
    expect(text).toContain(`modelhub nodes add gpu2.lan --engine tcp://gpu2.lan:2376 --tls-ca ${join(out, "ca.pem")}`);
    // A second run never overwrites a CA.
    await expect(makeCa(out, "gpu2.lan")).rejects.toThrow("already holds a CA");
  });

  it("asks for the folder and the host", async () => {
    await expect(makeCa(undefined, "x")).rejects.toThrow("usage: modelhub nodes ca DIR --host");
    await expect(makeCa("/tmp/x", undefined)).rejects.toThrow("usage: modelhub nodes ca DIR --host");
  });
});

describe("modelhub nodes ls and flags", () => {
  it("a table with state, GPUs, instances and last seen; a node's error below it", () => {
    const text = formatNodes([
      { name: "local", engine: "local", state: "up", labels: {}, gpus: [], gpu_source: "none", instances: 1, last_seen_at: null, error: null },
      { name: "gpu2", engine: "tcp://gpu2:2376", state: "down", labels: { zone: "attic" }, gpus: [{ index: 0, name: "RTX 4090", memory_total_mib: 24564, simulated: false }, { index: 1, name: "RTX 4090", memory_total_mib: 24564, simulated: false }], gpu_source: "nvidia-smi", instances: 0, last_seen_at: new Date(Date.now() - 120_000).toISOString(), error: "no answer within 5 s" },
    ]);
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^NAME\s+STATE\s+GPUS\s+INSTANCES\s+LAST SEEN\s+ENGINE\s+LABELS$/);
    expect(lines[1]).toMatch(/^local\s+up\s+CPU\s+1\s+-\s+local\s+-$/);
    expect(lines[2]).toMatch(/^gpu2\s+down\s+2x RTX 4090\s+0\s+2m ago\s+tcp:\/\/gpu2:2376\s+zone=attic$/);
    expect(text).toContain("gpu2: no answer within 5 s");
  });

  it("every --label arrives, and a bad one is a usage error", () => {
    const { flags } = parseArgs(["nodes", "add", "n", "--label", "a=1", "--label", "b=x=y"]);
    expect(parseLabels(flags.label)).toEqual({ a: "1", b: "x=y" });
    expect(() => parseLabels("novalue")).toThrow("--label takes key=value");
  });

  it("each nodes command has its own help", () => {
    for (const c of ["nodes", "nodes add", "nodes drain", "nodes rm", "nodes ca"]) expect(findCommand(c)?.examples.length).toBeGreaterThan(0);
    expect(findCommand("nodes add")?.usage).toContain("--engine tcp://HOST:2376 --tls-ca FILE --tls-cert FILE --tls-key FILE");
  });
});
