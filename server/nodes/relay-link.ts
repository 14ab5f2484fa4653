// modelhub's end of a node's relay (server/nodes/relay/relay-server.ts). For each container on the
// node it opens a TCP listener on 127.0.0.1: every connection made to it becomes one mTLS connection
// to the relay, which joins it to the container's port (HTTP CONNECT), and from then on bytes pass
// untouched both ways. So the container's endpoint is `http://127.0.0.1:PORT`, exactly like a local
// container's published port: the scheduler's health checks and server/cog (its kept-alive sockets
// included) know nothing of nodes, TLS or paths. Loopback only: whoever can reach it on this machine
// could already read modelhub's keys. A second, plain HTTP listener (`baseUrl`) forwards
// `/<container-ip>/…` requests and the relay's own ping.
import http from "node:http";
import https from "node:https";
import net, { type AddressInfo } from "node:net";
import tls from "node:tls";
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
  /** A container's address on the node's models network, from its name (asked of the node's engine). */
  resolve?: (containerName: string) => Promise<string>;
  /** the containers' port (Cog: 5000) */
  containerPort?: number;
}

export interface RelayLink {
  /** http://127.0.0.1:PORT: `/<container-ip>/<path>` and `/_relay/ping` */
  baseUrl: string;
  /** The base URL of one container (its name or IP) on the node: `http://127.0.0.1:PORT`, a port of its own. */
  endpointFor(container: string): string;
  /** Closes the listener of a container that is gone. */
  forget(container: string): void;
  /**
   * Closes the listeners of containers that are gone: those with no open connection for `idleMs`
   * that `exists` says are not there any more (instances come and go; their ports must not pile up).
   */
  sweep(exists: (container: string) => Promise<boolean>, idleMs: number): Promise<number>;
  close(): Promise<void>;
}

interface Tunnel {
  server: net.Server;
  url: string;
  address: Promise<string> | null;
  open: number;
  /** when the last connection closed (or the listener opened) */
  idleSince: number;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** A complete HTTP answer on a raw socket (the client is an HTTP client), then the end. */
function answer(socket: net.Socket, status: number, title: string, detail: string): void {
  const body = JSON.stringify({ title, detail, status });
  socket.end(`HTTP/1.1 ${status} ${title}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

export function startRelayLink(opts: RelayLinkOptions): Promise<RelayLink> {
  const containerPort = opts.containerPort ?? 5000;
  const tlsOptions = { host: opts.host, port: opts.port, ca: opts.relayCert, cert: opts.cert, key: opts.key, ...(IPV4.test(opts.host) ? {} : { servername: opts.host }) };
  const agent = new https.Agent({ keepAlive: true, maxFreeSockets: 64, ca: opts.relayCert, cert: opts.cert, key: opts.key });
  const tunnels = new Map<string, Tunnel>();
  const what = `relay ${opts.host}:${opts.port}`;

  const addressOf = (container: string, t: Tunnel): Promise<string> => {
    if (IPV4.test(container)) return Promise.resolve(container);
    if (!opts.resolve) return Promise.reject(new Error("not an address, and no way to look names up"));
    if (!t.address) {
      const p = opts.resolve(container);
      t.address = p;
      // A failed lookup is not remembered: the next connection asks again.
      p.catch(() => {
        if (t.address === p) t.address = null;
      });
    }
    return t.address;
  };

  const join = (container: string, t: Tunnel, client: net.Socket) => {
    // What the client sends before the tunnel stands is kept and sent first.
    const early: Buffer[] = [];
    const keep = (d: Buffer) => early.push(d);
    client.on("data", keep);
    let up: tls.TLSSocket | null = null;
    let joined = false;
    client.on("error", () => up?.destroy());
    client.on("close", () => up?.destroy());
    addressOf(container, t).then(
      (ip) => {
        if (client.destroyed) return;
        up = tls.connect(tlsOptions, () => up?.write(`CONNECT ${ip}:${containerPort} HTTP/1.1\r\nhost: ${ip}:${containerPort}\r\n\r\n`));
        let head = Buffer.alloc(0);
        const onHead = (d: Buffer) => {
          head = Buffer.concat([head, d]);
          const end = head.indexOf("\r\n\r\n");
          if (end < 0) return;
          up?.off("data", onHead);
          const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, end).toString("latin1"))?.[1] ?? 0);
          if (status !== 200) {
            // The relay's refusal is a whole HTTP answer: the client gets it as it is.
            client.off("data", keep);
            client.write(head);
            up?.pipe(client);
            return;
          }
          joined = true;
          client.off("data", keep);
          const rest = head.subarray(end + 4);
          if (rest.length) client.write(rest);
          for (const chunk of early) up?.write(chunk);
          up?.pipe(client);
          client.pipe(up as tls.TLSSocket);
        };
        up.on("data", onHead);
        up.on("error", (err) => {
          if (!joined && !client.destroyed && !client.writableEnded) answer(client, 502, "Bad gateway", `${what}: ${err.message}`);
          else client.destroy();
        });
        up.on("end", () => client.end());
      },
      (err: Error) => answer(client, 404, "Not found", `container ${container} on ${opts.host}: ${err.message}`),
    );
  };

  const base = http.createServer((req, res) => {
    forward(req, res, https.request, { host: opts.host, port: opts.port, path: req.url ?? "/", agent }, what);
  });

  const closeServer = (srv: net.Server) =>
    new Promise<void>((done) => {
      srv.close(() => done());
      (srv as http.Server).closeAllConnections?.();
    });

  return new Promise((resolve, reject) => {
    base.once("error", reject);
    base.listen(0, "127.0.0.1", () => {
      const baseUrl = `http://127.0.0.1:${(base.address() as AddressInfo).port}`;
      const sockets = new Set<net.Socket>();
      resolve({
        baseUrl,
        endpointFor(container) {
          const known = tunnels.get(container);
          if (known) return known.url;
          const server = net.createServer((client) => {
            sockets.add(client);
            t.open++;
            client.on("close", () => {
              sockets.delete(client);
              t.open--;
              t.idleSince = Date.now();
            });
            join(container, t, client);
          });
          // Bound at once (an address, no lookup): the port is known before this returns.
          server.listen(0, "127.0.0.1");
          server.unref();
          const t: Tunnel = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, address: null, open: 0, idleSince: Date.now() };
          tunnels.set(container, t);
          return t.url;
        },
        forget(container) {
          const t = tunnels.get(container);
          tunnels.delete(container);
          t?.server.close();
        },
        async sweep(exists, idleMs) {
          let closed = 0;
          for (const [name, t] of [...tunnels]) {
            if (t.open > 0 || Date.now() - t.idleSince < idleMs) continue;
            const there = await exists(name).catch(() => true);
            if (!there && tunnels.get(name) === t && t.open === 0) {
              tunnels.delete(name);
              t.server.close();
              closed++;
            }
          }
          return closed;
        },
        async close() {
          agent.destroy();
          for (const s of sockets) s.destroy();
          const all = [...tunnels.values()].map((t) => closeServer(t.server));
          tunnels.clear();
          await Promise.all([closeServer(base), ...all]);
        },
      });
    });
  });
}
