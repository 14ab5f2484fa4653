// modelhub's end of a node's relay: a plain HTTP listener on 127.0.0.1 that sends each request over
// mTLS to that node's relay (server/nodes/relay/relay-server.ts). The rest of modelhub (the
// scheduler's health checks, server/cog/) talks to `http://127.0.0.1:PORT/<container-ip>` exactly
// as it talks to a local container's published port, so nothing there knows about nodes or TLS.
// Loopback only: anything on this machine that can reach it could already read modelhub's keys.
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { forward } from "./relay/relay-server.ts";

export interface RelayLinkOptions {
  /** the relay's address, e.g. "10.0.0.7" (the node's host) and its port */
  host: string;
  port: number;
  /** PEM: the relay's certificate, the only one trusted for it (pinned) */
  relayCert: string;
  /** PEM: modelhub's client certificate and key for this node's relay */
  cert: string;
  key: string;
  /**
   * A container's address on the node's models network, from its name (asked of the node's engine).
   * Without it, only `/<container-ip>/…` paths are sent on.
   */
  resolve?: (containerName: string) => Promise<string>;
}

export interface RelayLink {
  /** http://127.0.0.1:PORT */
  baseUrl: string;
  /** The base URL of one container (its name or its IP) on the node: `{endpoint}/health-check`, `{endpoint}/predictions`… */
  endpointFor(container: string): string;
  close(): Promise<void>;
}

export function startRelayLink(opts: RelayLinkOptions): Promise<RelayLink> {
  const agent = new https.Agent({
    keepAlive: true,
    maxFreeSockets: 64,
    ca: opts.relayCert,
    cert: opts.cert,
    key: opts.key,
  });
  // name → address; a container keeps its address while it runs, and an instance's name is never reused.
  const addresses = new Map<string, Promise<string>>();
  const send = (req: http.IncomingMessage, res: http.ServerResponse, path: string) =>
    forward(req, res, https.request, { host: opts.host, port: opts.port, path, agent }, `relay ${opts.host}:${opts.port}`);
  const server = http.createServer((req, res) => {
    const url = req.url ?? "/";
    const m = /^\/([A-Za-z0-9][A-Za-z0-9_.-]*)(\/.*|\?.*)?$/s.exec(url);
    const first = m?.[1] ?? "";
    if (!m || /^\d{1,3}(\.\d{1,3}){3}$/.test(first) || first === "_relay" || !opts.resolve) return send(req, res, url);
    let ip = addresses.get(first);
    if (!ip) {
      ip = opts.resolve(first);
      addresses.set(first, ip);
      // A failed lookup is not remembered: the next request asks again.
      ip.catch(() => addresses.delete(first));
    }
    ip.then(
      (addr) => {
        res.on("finish", () => {
          if (res.statusCode === 502) addresses.delete(first);
        });
        send(req, res, `/${addr}${m[2] ?? "/"}`);
      },
      (err: Error) => {
        const body = JSON.stringify({ title: "Not found", detail: `container ${first}: ${err.message}`, status: 404 });
        res.writeHead(404, { "content-type": "application/problem+json", "content-length": Buffer.byteLength(body) });
        res.end(body);
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve({
        baseUrl,
        endpointFor: (container) => `${baseUrl}/${container}`,
        close: () =>
          new Promise<void>((done) => {
            agent.destroy();
            server.close(() => done());
            server.closeAllConnections?.();
          }),
      });
    });
  });
}
