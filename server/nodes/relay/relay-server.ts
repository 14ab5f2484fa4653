// The relay modelhub runs on each node (in its own container, on the node's host network): the one
// way into that node's model containers, whose port 5000 is published nowhere.
//
// It speaks TLS and accepts exactly one client certificate, the one modelhub made for this node
// (pinned: it is the only trust anchor). `/<container-ip>/<path>` is forwarded to
// `http://<container-ip>:<port>/<path>`, and only to an address inside the models network's subnet,
// so it is no open proxy on the node. Bodies stream both ways (SSE, large uploads), never buffered.
import http from "node:http";
import https from "node:https";
import net, { type AddressInfo } from "node:net";
import type { Duplex } from "node:stream";

export interface RelayOptions {
  /** PEM: the relay's own certificate and key (modelhub pins this certificate) */
  cert: string;
  key: string;
  /** PEM: the only client certificate accepted (modelhub's, for this node) */
  clientCert: string;
  host: string;
  port: number;
  /** IPv4 CIDR of the node's models network: the only addresses forwarded to */
  targetCidr: string;
  /** the containers' port (Cog: 5000) */
  targetPort: number;
  /**
   * The way back: containers on the models network (an internal one: no route off the node) reach
   * `host.docker.internal:<port>`, which is this plain listener on the network's gateway address;
   * it forwards `/internal/…` (webhooks, uploads, input files: capability URLs) to modelhub's
   * callback URL and nothing else.
   */
  callback?: { host: string; port: number; url: string };
}

export interface RunningRelay {
  port: number;
  callbackPort: number | null;
  close(): Promise<void>;
}

/** Health of the relay itself (no container behind it). */
export const RELAY_PING_PATH = "/_relay/ping";

// RFC 9110, section 7.6.1: these describe one connection, not the message.
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]);

export function forwardHeaders(headers: http.IncomingHttpHeaders | http.OutgoingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k.toLowerCase())) out[k] = v;
  return out;
}

/** Parses "a.b.c.d/n" into a predicate; throws on anything else. */
export function cidrContains(cidr: string): (ip: string) => boolean {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr.trim());
  const base = m ? ipv4ToInt(m[1]) : null;
  const bits = m ? Number(m[2]) : NaN;
  if (base === null || !(bits >= 8 && bits <= 32)) throw new Error(`not an IPv4 CIDR from /8 to /32: ${JSON.stringify(cidr)}`);
  const mask = bits === 32 ? 0xffffffff : ~(0xffffffff >>> bits) >>> 0;
  return (ip) => {
    const n = ipv4ToInt(ip);
    return n !== null && (n & mask) >>> 0 === (base & mask) >>> 0;
  };
}

export function ipv4ToInt(ip: string): number | null {
  const parts = ip.split(".");
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    n = n * 256 + Number(p);
  }
  return n;
}

/** "/10.0.0.5/predictions?x=1" → { ip: "10.0.0.5", path: "/predictions?x=1" }; null when it is not that shape. */
export function splitTarget(url: string): { ip: string; path: string } | null {
  const q = url.indexOf("?");
  const pathname = q < 0 ? url : url.slice(0, q);
  const m = /^\/(\d{1,3}(?:\.\d{1,3}){3})(\/.*)?$/s.exec(pathname);
  if (!m || ipv4ToInt(m[1]) === null) return null;
  return { ip: m[1], path: (m[2] ?? "/") + (q < 0 ? "" : url.slice(q)) };
}

function problem(res: http.ServerResponse, status: number, title: string, detail: string) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ title, detail, status });
  res.writeHead(status, { "content-type": "application/problem+json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

export async function startRelay(opts: RelayOptions): Promise<RunningRelay> {
  const allowed = cidrContains(opts.targetCidr);
  const upstreamAgent = new http.Agent({ keepAlive: true, maxFreeSockets: 64 });
  const server = https.createServer(
    { cert: opts.cert, key: opts.key, ca: opts.clientCert, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const url = req.url ?? "/";
      if (url === RELAY_PING_PATH) {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("ok");
        return;
      }
      const target = splitTarget(url);
      if (!target) return problem(res, 404, "Not found", "the relay forwards /<container-ip>/<path> only");
      if (!allowed(target.ip)) return problem(res, 403, "Forbidden", `${target.ip} is not in the models network ${opts.targetCidr}`);
      forward(req, res, http.request, { host: target.ip, port: opts.targetPort, path: target.path, agent: upstreamAgent }, `container ${target.ip}:${opts.targetPort}`);
    },
  );
  // The way model traffic goes: `CONNECT <container-ip>:<port>` joins this TLS connection to the
  // container's port, and bytes then pass untouched (no parsing, no buffering, keep-alive as it is).
  server.on("connect", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const m = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(req.url ?? "");
    const refuse = (status: number, title: string, detail: string) => {
      const body = JSON.stringify({ title, detail, status });
      socket.end(`HTTP/1.1 ${status} ${title}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    };
    if (!m || ipv4ToInt(m[1]) === null) return refuse(400, "Bad request", "CONNECT <container-ip>:<port> only");
    if (!allowed(m[1])) return refuse(403, "Forbidden", `${m[1]} is not in the models network ${opts.targetCidr}`);
    if (Number(m[2]) !== opts.targetPort) return refuse(403, "Forbidden", `only port ${opts.targetPort} of a container`);
    let joined = false;
    const up = net.connect(opts.targetPort, m[1], () => {
      joined = true;
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on("error", (err) => (joined ? socket.destroy() : refuse(502, "Bad gateway", `container ${m[1]}:${opts.targetPort}: ${err.message}`)));
    socket.on("error", () => up.destroy());
    socket.on("close", () => up.destroy());
  });
  const callbackServer = opts.callback ? callbackListener(opts.callback) : null;
  const listen = (srv: http.Server, port: number, host: string) =>
    new Promise<number>((resolve, reject) => {
      srv.once("error", reject);
      srv.listen(port, host, () => resolve((srv.address() as AddressInfo).port));
    });
  const close = (srv: http.Server) =>
    new Promise<void>((done) => {
      srv.close(() => done());
      srv.closeAllConnections?.();
    });
  const port = await listen(server, opts.port, opts.host);
  const callbackPort = callbackServer && opts.callback ? await listen(callbackServer, opts.callback.port, opts.callback.host) : null;
  return {
    port,
    callbackPort,
    async close() {
      upstreamAgent.destroy();
      await Promise.all([close(server), callbackServer ? close(callbackServer) : undefined]);
    },
  };
}

type Requester = typeof http.request;

/** Sends req on to the target and the answer back, streaming both ways. */
export function forward(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  request: Requester,
  target: { host: string; port: number; path: string; agent: http.Agent; protocol?: string },
  what: string,
): void {
  const upstream = request({ ...target, method: req.method, headers: forwardHeaders(req.headers) }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.statusMessage, forwardHeaders(up.headers));
    // Server-sent events and long outputs: every chunk goes on at once.
    res.flushHeaders();
    up.pipe(res);
    up.on("error", () => res.destroy());
  });
  upstream.on("error", (err) => problem(res, 502, "Bad gateway", `${what}: ${err.message}`));
  // A client that goes away takes its upstream request with it (a canceled stream, a timeout).
  res.on("close", () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

function callbackListener(cb: { url: string }): http.Server {
  const base = new URL(cb.url);
  if (base.protocol !== "http:" && base.protocol !== "https:") throw new Error(`callback URL must be http(s): ${cb.url}`);
  const secure = base.protocol === "https:";
  const agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  const prefix = base.pathname.replace(/\/$/, "");
  return http.createServer((req, res) => {
    const url = req.url ?? "/";
    if (!url.startsWith("/internal/")) return problem(res, 404, "Not found", "only modelhub's /internal/ callbacks go this way");
    const port = Number(base.port || (secure ? 443 : 80));
    forward(req, res, secure ? https.request : http.request, { host: base.hostname, port, path: prefix + url, agent }, `modelhub ${base.host}`);
  });
}
