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
}

export interface RelayLink {
  /** http://127.0.0.1:PORT */
  baseUrl: string;
  /** The base URL of one container on the node: `{endpoint}/health-check`, `{endpoint}/predictions`… */
  endpointFor(containerIp: string): string;
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
  const server = http.createServer((req, res) => {
    forward(req, res, https.request, { host: opts.host, port: opts.port, path: req.url ?? "/", agent }, `relay ${opts.host}:${opts.port}`);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve({
        baseUrl,
        endpointFor: (ip) => `${baseUrl}/${ip}`,
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
