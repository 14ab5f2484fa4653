// `modelhub nodes` (admin): the machines whose Docker engines models run on. `nodes add NAME --engine
// tcp://HOST:2376 --tls-ca F --tls-cert F --tls-key F [--label k=v]...`, `nodes ls`, `nodes drain NAME
// [--undo]`, `nodes rm NAME [--force]`, and `nodes ca DIR --host HOST` (a CA and certificates made with
// openssl, and the dockerd flags that use them).
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Context } from "../context.ts";
import { UsageError } from "../usage.ts";
import { ago, table } from "./predictions.ts";

interface NodeJson {
  name: string;
  engine: string;
  state: string;
  labels: Record<string, string>;
  gpus: { index: number; name: string; memory_total_mib: number; simulated: boolean }[];
  gpu_source: string | null;
  instances: number;
  last_seen_at: string | null;
  error: string | null;
}

/** `--label a=b` (repeatable: the parser joins repeats with newlines) → {a: "b"}. */
export function parseLabels(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of (raw ?? "").split("\n").filter(Boolean)) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`--label takes key=value, got "${item}"`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

const gpuText = (n: NodeJson) =>
  n.gpus.length ? `${n.gpus.length}x ${[...new Set(n.gpus.map((g) => g.name))].join("/")}${n.gpus.some((g) => g.simulated) ? " (sim)" : ""}` : n.gpu_source === null ? "?" : "CPU";

export function formatNodes(nodes: NodeJson[]): string {
  const rows = [["NAME", "STATE", "GPUS", "INSTANCES", "LAST SEEN", "ENGINE", "LABELS"]];
  for (const n of nodes)
    rows.push([
      n.name,
      n.state,
      gpuText(n),
      String(n.instances),
      n.name === "local" ? "-" : n.last_seen_at ? ago(n.last_seen_at) : "never",
      n.engine,
      Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(",") || "-",
    ]);
  const errors = nodes.filter((n) => n.error).map((n) => `${n.name}: ${n.error}`);
  return table(rows) + (errors.length ? `\n\n${errors.join("\n")}` : "");
}

export async function listNodes(ctx: Context, asJson: boolean): Promise<string> {
  const r = await ctx.client.request<{ nodes: NodeJson[] }>("GET", "/v1/nodes");
  return asJson ? JSON.stringify(r.nodes, null, 2) : formatNodes(r.nodes);
}

export async function addNode(
  ctx: Context,
  name: string | undefined,
  f: { engine?: string; "tls-ca"?: string; "tls-cert"?: string; "tls-key"?: string; label?: string; "fake-gpus"?: string },
  asJson: boolean,
): Promise<string> {
  const usage = "usage: modelhub nodes add NAME --engine tcp://HOST:2376 --tls-ca FILE --tls-cert FILE --tls-key FILE [--label k=v]...";
  if (!name || !f.engine) throw new UsageError(usage);
  // Paths are read by the server: made absolute here, where the user typed them.
  const path = (p: string | undefined) => (p ? resolve(p) : undefined);
  const body = {
    name,
    engine: f.engine,
    ...(f["tls-ca"] ? { tls_ca: path(f["tls-ca"]) } : {}),
    ...(f["tls-cert"] ? { tls_cert: path(f["tls-cert"]) } : {}),
    ...(f["tls-key"] ? { tls_key: path(f["tls-key"]) } : {}),
    labels: parseLabels(f.label),
    ...(f["fake-gpus"] !== undefined ? { fake_gpus: Number(f["fake-gpus"]) } : {}),
  };
  const n = await ctx.client.request<NodeJson>("POST", "/v1/nodes", body);
  if (asJson) return JSON.stringify(n, null, 2);
  return `Added node ${n.name}: ${n.state}, ${gpuText(n)}${n.error ? ` (${n.error})` : ""}.`;
}

export async function drainNode(ctx: Context, name: string | undefined, undo: boolean): Promise<string> {
  if (!name) throw new UsageError("usage: modelhub nodes drain NAME [--undo]");
  const n = await ctx.client.request<NodeJson>("POST", `/v1/nodes/${encodeURIComponent(name)}/drain`, { drained: !undo });
  return undo ? `Node ${n.name} takes new work again.` : `Node ${n.name} is drained: no new work goes there (${n.instances} instance${n.instances === 1 ? "" : "s"} still running).`;
}

export async function removeNode(ctx: Context, name: string | undefined, force: boolean): Promise<string> {
  if (!name) throw new UsageError("usage: modelhub nodes rm NAME [--force]");
  await ctx.client.request("DELETE", `/v1/nodes/${encodeURIComponent(name)}${force ? "?force=1" : ""}`);
  return `Removed node ${name}.`;
}

/** `nodes ca DIR --host HOST[,HOST]`: a CA, the engine's server certificate and modelhub's client certificate. */
export async function makeCa(dir: string | undefined, hosts: string | undefined, days = 825): Promise<string> {
  if (!dir || !hosts) throw new UsageError("usage: modelhub nodes ca DIR --host HOST[,HOST...]   (the node's name or address, as modelhub reaches it)");
  const out = resolve(dir);
  mkdirSync(out, { recursive: true, mode: 0o700 });
  if (existsSync(join(out, "ca-key.pem"))) throw new UsageError(`${out} already holds a CA (ca-key.pem); choose an empty folder`);
  const names = hosts.split(",").map((h) => h.trim()).filter(Boolean);
  const san = names.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(",");
  const run = async (args: string[]) => {
    const p = Bun.spawn(["openssl", ...args], { cwd: out, stdout: "pipe", stderr: "pipe" });
    if ((await p.exited) !== 0) throw new Error(`openssl ${args[0]} failed: ${(await new Response(p.stderr).text()).trim()}`);
  };
  const d = String(days);
  await run(["genrsa", "-out", "ca-key.pem", "4096"]);
  await run(["req", "-new", "-x509", "-days", d, "-key", "ca-key.pem", "-sha256", "-subj", "/CN=modelhub nodes CA", "-out", "ca.pem"]);
  await run(["genrsa", "-out", "server-key.pem", "4096"]);
  await run(["req", "-new", "-key", "server-key.pem", "-subj", `/CN=${names[0]}`, "-out", "server.csr"]);
  await Bun.write(join(out, "server-ext.cnf"), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
  await run(["x509", "-req", "-days", d, "-sha256", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-out", "server-cert.pem", "-extfile", "server-ext.cnf"]);
  await run(["genrsa", "-out", "key.pem", "4096"]);
  await run(["req", "-new", "-key", "key.pem", "-subj", "/CN=modelhub", "-out", "client.csr"]);
  await Bun.write(join(out, "client-ext.cnf"), "extendedKeyUsage=clientAuth\n");
  await run(["x509", "-req", "-days", d, "-sha256", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-out", "cert.pem", "-extfile", "client-ext.cnf"]);
  for (const k of ["ca-key.pem", "server-key.pem", "key.pem"]) chmodSync(join(out, k), 0o600);
  return [
    `Made in ${out}: ca.pem (+ ca-key.pem: keep it offline), server-cert.pem + server-key.pem (for the node), cert.pem + key.pem (for modelhub).`,
    "",
    `On the node (${names[0]}), copy ca.pem, server-cert.pem and server-key.pem to /etc/docker/ and start dockerd with:`,
    "  dockerd --tlsverify --tlscacert=/etc/docker/ca.pem --tlscert=/etc/docker/server-cert.pem --tlskey=/etc/docker/server-key.pem -H=0.0.0.0:2376 -H=unix:///var/run/docker.sock",
    "(or the same as \"tlsverify\", \"tlscacert\", \"tlscert\", \"tlskey\" and \"hosts\" in /etc/docker/daemon.json).",
    "A Docker API socket is root on that machine: only a client holding a certificate this CA signed gets in.",
    "",
    "Then, on the modelhub machine:",
    `  modelhub nodes add ${names[0].replace(/[^a-z0-9_.-]/gi, "-").toLowerCase()} --engine tcp://${names[0].includes(":") ? `[${names[0]}]` : names[0]}:2376 --tls-ca ${join(out, "ca.pem")} --tls-cert ${join(out, "cert.pem")} --tls-key ${join(out, "key.pem")}`,
  ].join("\n");
}
