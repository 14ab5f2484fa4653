// The two certificates of one node's relay, made by modelhub with openssl and kept in its data folder:
// the relay's server certificate (its subject alternative name is the node's address) and the client
// certificate modelhub presents to it. Each is self-signed and pinned by the other side (it is the
// only trust anchor there), so no CA key is needed anywhere, and a node that is taken over holds
// only its own relay's keys: not the engine client key that opens the other nodes.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";

export interface RelayCerts {
  /** PEM, given to the relay container */
  relayCert: string;
  relayKey: string;
  /** PEM, kept by modelhub (the relay pins clientCert) */
  clientCert: string;
  clientKey: string;
}

async function openssl(args: string[]): Promise<void> {
  const proc = Bun.spawn(["openssl", ...args], { stdout: "ignore", stderr: "pipe" });
  const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`openssl ${args[0]} failed: ${err.trim()}`);
}

async function selfSigned(dir: string, name: string, cn: string, ext: string[]): Promise<void> {
  await openssl([
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-sha256", "-days", "3650",
    "-subj", `/CN=${cn}`, "-keyout", join(dir, `${name}.key`), "-out", join(dir, `${name}.pem`),
    ...ext.flatMap((e) => ["-addext", e]),
  ]);
}

/** The relay certificates for a node reached at `host` (an IP or a DNS name); made once, then read. */
export async function ensureRelayCerts(dir: string, host: string): Promise<RelayCerts> {
  if (!/^[A-Za-z0-9.:-]+$/.test(host)) throw new Error(`not a host name or address: ${JSON.stringify(host)}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(join(dir, "relay.pem")) || !existsSync(join(dir, "relay.key"))) {
    const san = isIP(host) ? `IP:${host}` : `DNS:${host}`;
    await selfSigned(dir, "relay", "modelhub relay", [`subjectAltName=${san}`, "extendedKeyUsage=serverAuth"]);
  }
  if (!existsSync(join(dir, "client.pem")) || !existsSync(join(dir, "client.key"))) {
    await selfSigned(dir, "client", "modelhub", ["extendedKeyUsage=clientAuth"]);
  }
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  return { relayCert: read("relay.pem"), relayKey: read("relay.key"), clientCert: read("client.pem"), clientKey: read("client.key") };
}
