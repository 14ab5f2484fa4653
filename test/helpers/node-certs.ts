// The TLS material of a harness: one CA (made with openssl, as docs/scaling.md tells an operator to),
// a server certificate per engine with its IP as subject alternative name, and modelhub's client
// certificate. EC P-256 keys: generating them takes milliseconds.
import { join } from "node:path";

export interface ClientTls {
  ca: string;
  cert: string;
  key: string;
}

export interface NodeCertFiles {
  ca: string;
  client: ClientTls;
  /** per node name: the engine's server cert and key */
  servers: Record<string, { cert: string; key: string }>;
}

/** Makes every certificate in one shell run (one process instead of ~12). */
export async function makeCerts(dir: string, nodes: { name: string; ip: string }[]): Promise<NodeCertFiles> {
  const lines = [
    "set -e",
    `cd '${dir}'`,
    "key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out \"$1\" 2>/dev/null; }",
    "key ca.key",
    "openssl req -x509 -new -key ca.key -sha256 -days 2 -subj '/CN=modelhub test CA' -out ca.pem",
    // name, extensions file
    "sign() { openssl req -new -key \"$1.key\" -subj \"/CN=$2\" -out \"$1.csr\" && openssl x509 -req -in \"$1.csr\" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days 2 -extfile \"$1.ext\" -out \"$1.pem\" 2>/dev/null && rm \"$1.csr\"; }",
    "key client.key",
    "printf 'extendedKeyUsage=clientAuth\\n' > client.ext",
    "sign client modelhub",
  ];
  for (const n of nodes) {
    lines.push(
      `key '${n.name}.key'`,
      `printf 'subjectAltName=IP:${n.ip},IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > '${n.name}.ext'`,
      `sign '${n.name}' '${n.name}'`,
    );
  }
  const proc = Bun.spawn(["sh", "-c", lines.join("\n")], { stdout: "pipe", stderr: "pipe" });
  const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`making test certificates failed: ${err}`);
  return {
    ca: join(dir, "ca.pem"),
    client: { ca: join(dir, "ca.pem"), cert: join(dir, "client.pem"), key: join(dir, "client.key") },
    servers: Object.fromEntries(nodes.map((n) => [n.name, { cert: join(dir, `${n.name}.pem`), key: join(dir, `${n.name}.key`) }])),
  };
}
