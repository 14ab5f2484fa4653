// A small keep-alive HTTP/1.1 client over Bun.connect, for the fast path to containers.
// Measured (docs/benchmarks.md): Bun's fetch() hands each request to its HTTP thread and back,
// which cost ~150 µs per call to a container on loopback; a socket owned by the JS thread costs
// ~130 µs in all. Only what Cog servers send is understood: Content-Length or chunked bodies, one
// request at a time per connection, no pipelining, no redirects, no TLS.

export interface Http1Response {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export class Http1Error extends Error {
  constructor(
    message: string,
    /** nothing of a response arrived: on a reused connection the request can be retried */
    readonly beforeResponse: boolean,
  ) {
    super(message);
  }
}

type BunSocket = Awaited<ReturnType<typeof Bun.connect>>;

/** Servers close idle keep-alive connections (uvicorn after 5 s); never reuse one near that. */
const MAX_IDLE_MS = 2000;
const MAX_IDLE_PER_ORIGIN = 16;

class Conn {
  socket!: BunSocket;
  lastUsed = 0;
  closed = false;
  private chunks: Buffer[] = [];
  private size = 0;
  private waiter: { resolve(r: Http1Response): void; reject(e: Error): void; gotBytes: boolean } | null = null;
  private head: { status: number; headers: Record<string, string>; bodyStart: number } | null = null;
  private unsent: Buffer | null = null;

  static async open(host: string, port: number): Promise<Conn> {
    const c = new Conn();
    c.socket = await Bun.connect({
      hostname: host,
      port,
      socket: {
        data: (_s, d) => c.onData(d),
        drain: () => c.writeMore(),
        close: () => c.onClose(new Http1Error("connection closed by the container", true)),
        error: (_s, err) => c.onClose(new Http1Error(err.message, true)),
      },
    });
    c.socket.setNoDelay(true);
    return c;
  }

  request(raw: Buffer): Promise<Http1Response> {
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject, gotBytes: false };
      this.chunks = [];
      this.size = 0;
      this.head = null;
      this.unsent = raw;
      this.writeMore();
    });
  }

  /** A socket takes what fits in its buffer; the rest goes on `drain`. */
  writeMore(): void {
    if (!this.unsent || this.closed) return;
    const n = this.socket.write(this.unsent);
    this.unsent = n >= this.unsent.length ? null : this.unsent.subarray(Math.max(0, n));
  }

  destroy(): void {
    this.closed = true;
    this.socket.end();
  }

  private onClose(err: Http1Error): void {
    this.closed = true;
    const w = this.waiter;
    this.waiter = null;
    if (!w) return;
    // A body delimited by the connection's end (no length, not chunked) is complete now.
    if (this.head && this.head.headers["content-length"] === undefined && this.head.headers["transfer-encoding"] === undefined) {
      const buf = Buffer.concat(this.chunks, this.size);
      return w.resolve({ status: this.head.status, headers: this.head.headers, body: buf.subarray(this.head.bodyStart) });
    }
    w.reject(new Http1Error(err.message, !w.gotBytes));
  }

  private onData(d: Buffer): void {
    const w = this.waiter;
    if (!w) return; // stray bytes on an idle connection: ignore
    w.gotBytes = true;
    this.chunks.push(d);
    this.size += d.length;
    if (!this.head) {
      // Headers are small: joining the chunks until they are complete is cheap.
      const buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size);
      this.chunks = [buf];
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
      if (!m) return this.fail(new Http1Error(`not an HTTP response: ${lines[0].slice(0, 80)}`, false));
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(":");
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      this.head = { status: Number(m[1]), headers, bodyStart: end + 4 };
    }
    const { status, headers, bodyStart } = this.head;
    const len = headers["content-length"];
    if (len !== undefined) {
      // The body is joined once, when all of it is in.
      const n = Number(len);
      if (this.size - bodyStart < n) return;
      const buf = Buffer.concat(this.chunks, this.size);
      return this.done({ status, headers, body: buf.subarray(bodyStart, bodyStart + n) });
    }
    if ((headers["transfer-encoding"] ?? "").toLowerCase().includes("chunked")) {
      // Rare from Cog servers: joined each time, decoded once the data ends like the last chunk does.
      const all = Buffer.concat(this.chunks, this.size);
      this.chunks = [all];
      if (all.length < bodyStart + 5 || all.subarray(all.length - 4).toString("latin1") !== "\r\n\r\n") return;
      const body = dechunk(all.subarray(bodyStart));
      if (body) this.done({ status, headers, body });
    }
    // Otherwise the body ends with the connection (onClose).
  }

  private done(r: Http1Response): void {
    const w = this.waiter!;
    this.waiter = null;
    this.lastUsed = performance.now();
    if ((r.headers.connection ?? "").toLowerCase() === "close") this.destroy();
    w.resolve(r);
  }

  private fail(err: Http1Error): void {
    const w = this.waiter;
    this.waiter = null;
    this.destroy();
    w?.reject(err);
  }
}

/** The decoded body once the last chunk is in, else null. */
function dechunk(b: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let i = 0;
  for (;;) {
    const nl = b.indexOf("\r\n", i);
    if (nl < 0) return null;
    const size = parseInt(b.subarray(i, nl).toString("latin1"), 16);
    if (!Number.isFinite(size)) return null;
    if (size === 0) return b.indexOf("\r\n\r\n", nl) >= 0 || b.length >= nl + 4 ? Buffer.concat(parts) : null;
    if (b.length < nl + 2 + size + 2) return null;
    parts.push(b.subarray(nl + 2, nl + 2 + size));
    i = nl + 2 + size + 2;
  }
}

export class Http1Client {
  private idle = new Map<string, Conn[]>();

  async request(
    baseUrl: string,
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string,
    signal?: AbortSignal,
  ): Promise<Http1Response> {
    const u = new URL(baseUrl);
    const origin = `${u.hostname}:${u.port}`;
    const payload = Buffer.from(body);
    // An endpoint may carry a path (a container on another machine: http://127.0.0.1:PORT/<container>, its relay link).
    const base = u.pathname.replace(/\/+$/, "");
    let head = `${method} ${base}${path} HTTP/1.1\r\nHost: ${origin}\r\nContent-Length: ${payload.length}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    const raw = Buffer.concat([Buffer.from(head + "\r\n", "latin1"), payload]);
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw abortError();
      const reused = this.take(origin);
      const conn = reused ?? (await Conn.open(u.hostname, Number(u.port)));
      const onAbort = () => conn.destroy();
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        const res = await conn.request(raw);
        if (!conn.closed) this.put(origin, conn);
        return res;
      } catch (err) {
        conn.destroy();
        if (signal?.aborted) throw abortError();
        // A kept-alive connection the server had just closed: the request never got there.
        if (reused && err instanceof Http1Error && err.beforeResponse && attempt === 0) continue;
        throw err;
      } finally {
        signal?.removeEventListener("abort", onAbort);
      }
    }
  }

  close(): void {
    for (const list of this.idle.values()) for (const c of list) c.destroy();
    this.idle.clear();
  }

  private take(origin: string): Conn | null {
    const list = this.idle.get(origin);
    if (!list) return null;
    const now = performance.now();
    while (list.length) {
      const c = list.pop()!;
      if (!c.closed && now - c.lastUsed < MAX_IDLE_MS) return c;
      c.destroy();
    }
    // Containers come and go on new ports: forget origins with nothing kept.
    this.idle.delete(origin);
    return null;
  }

  private put(origin: string, c: Conn): void {
    let list = this.idle.get(origin);
    if (!list) this.idle.set(origin, (list = []));
    if (list.length >= MAX_IDLE_PER_ORIGIN) return c.destroy();
    list.push(c);
  }
}

function abortError(): Error {
  return new DOMException("The operation was aborted.", "AbortError");
}
