// The web UI: one HTML page (web/index.html) and its hashed script and style assets, served
// compressed (brotli or gzip, negotiated) with immutable caching for the assets. The page routes on
// the client, so every client route answers the same HTML; any other GET from a browser outside the
// API gets that page with status 404, which renders the UI's own not-found page.
//
// Bun turns an HTML import into a page (bundling and hash-naming its assets; `bun build --compile`
// embeds them) only when it is served as a Bun.serve route. So the page is served once on a private
// loopback port, read back with its assets, compressed once, and that listener closed.
import { brotliCompressSync, constants } from "node:zlib";
import index from "../../web/index.html";
import type { MountedRoute } from "./route-table.ts";

/** The client-side routes (web/lib/routes.ts must match): each answers the UI page. */
export const CLIENT_ROUTES = [
  "/",
  "/models/new",
  "/models/:owner/:name",
  "/p/:id",
  "/predictions",
  "/instances",
  "/settings/tokens",
  "/sign-in",
] as const;

/** The same pages as routes, so the OpenAPI document and the 405 check know them. */
export const uiRoutes: MountedRoute[] = CLIENT_ROUTES.map((path) => ({ method: "GET", path }));

/** Paths that belong to the API and other machine clients: a 404 there stays a problem body. */
const NOT_UI = /^\/(v1|v2|files|health|metrics|internal|openapi|_bun)(\/|$|\.)/;

interface Asset {
  type: string;
  identity: Uint8Array<ArrayBuffer>;
  /** compressed on first use, then kept: a server nobody opens in a browser never loads brotli's encoder (~7 MB RSS) */
  readonly gzip: Uint8Array<ArrayBuffer>;
  readonly br: Uint8Array<ArrayBuffer>;
  etag: string;
}

export interface UiServer {
  /** The page for a client route, or a hashed asset; null for any other path. */
  handle(req: Request, path: string): Response | null;
  /** The not-found page (status 404). */
  notFound(req: Request): Response;
  /** Compressed bytes of the JavaScript (brotli, gzip), for the size budget. */
  scriptBytes(): { raw: number; gzip: number; br: number };
}

const ROUTE_PATTERNS = CLIENT_ROUTES.map((r) => new RegExp(`^${r.replace(/:[a-z]+/g, "[^/]+")}$`));

/**
 * The server's fetch handler: a GET of a client route or an asset gets the UI, anything else goes
 * to the API, and a browser's 404 outside the API becomes the UI's not-found page. The UI is
 * prepared in the background from here on, so it never delays the API's start.
 */
export function withUi<A extends unknown[]>(fetchApi: (req: Request, ...rest: A) => Response | Promise<Response>): (req: Request, ...rest: A) => Promise<Response> {
  const ready = loadUi();
  ready.catch(() => {}); // a failure is reported to the first request that needs the UI
  return async (req, ...rest) => {
    // A request whose URL does not parse (HTTP/1.0 without Host) is the API's to refuse.
    const get = (req.method === "GET" || req.method === "HEAD") && URL.canParse(req.url);
    const path = get ? new URL(req.url).pathname : "";
    if (get && !NOT_UI.test(path)) {
      const page = (await ready).handle(req, path);
      if (page) return page;
    }
    const res = await fetchApi(req, ...rest);
    // With tokens on, the access guard answers an unknown path 401 (no rule: admin-only) before any
    // 404; outside the API either way means no such page.
    const missing = res.status === 404 || res.status === 401;
    if (!missing || !get || NOT_UI.test(path) || !(req.headers.get("accept") ?? "").includes("text/html")) return res;
    return (await ready).notFound(req);
  };
}

function compress(type: string, body: Uint8Array<ArrayBuffer>): Asset {
  let gzip: Uint8Array<ArrayBuffer> | undefined;
  let br: Uint8Array<ArrayBuffer> | undefined;
  return {
    type,
    identity: body,
    get gzip() {
      return (gzip ??= new Uint8Array(Bun.gzipSync(body, { level: 9 })));
    },
    get br() {
      return (br ??= new Uint8Array(brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })));
    },
    etag: `"${Bun.hash(body).toString(36)}"`,
  };
}

function respond(req: Request, a: Asset, status: number, cacheControl: string): Response {
  const headers: Record<string, string> = { "content-type": a.type, "cache-control": cacheControl, vary: "accept-encoding", etag: a.etag };
  if (status === 200 && req.headers.get("if-none-match") === a.etag) return new Response(null, { status: 304, headers });
  const accepts = (req.headers.get("accept-encoding") ?? "").toLowerCase();
  let body = a.identity;
  if (/\bbr\b/.test(accepts)) [body, headers["content-encoding"]] = [a.br, "br"];
  else if (/\bgzip\b/.test(accepts)) [body, headers["content-encoding"]] = [a.gzip, "gzip"];
  return new Response(req.method === "HEAD" ? null : body, { status, headers });
}

let loaded: Promise<UiServer> | undefined;
/** The bundled page and its assets, prepared once per process (tests start many servers). */
export const loadUi = (): Promise<UiServer> => (loaded ??= load());

/** What a compiled binary embeds for the page: its files, readable without serving them. */
interface BundledFiles {
  files?: { path: string; loader: string; headers: Record<string, string> }[];
}

/** The page and its assets from the binary's embedded files (no listener, no HTTP client loaded), else null. */
async function loadEmbedded(): Promise<{ page: Asset; assets: Map<string, Asset> } | null> {
  const files = (index as BundledFiles).files;
  const html = files?.find((f) => f.loader === "html");
  if (!files || !html) return null;
  const read = async (f: { path: string; headers: Record<string, string> }) => compress(f.headers["content-type"] ?? "application/octet-stream", new Uint8Array(await Bun.file(f.path).arrayBuffer()));
  const assets = new Map<string, Asset>();
  for (const f of files) if (f !== html) assets.set(`/${f.path.split("/").pop()}`, await read(f));
  const page = await read(html);
  // The page must name exactly the assets found, or the listener path below is the one to trust.
  const named = [...new TextDecoder().decode(page.identity).matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1]);
  return named.every((p) => assets.has(p)) ? { page, assets } : null;
}

/** Reads the bundled page and its assets (embedded, or back from a private listener) and prepares them to serve. */
async function load(): Promise<UiServer> {
  const embedded = await loadEmbedded();
  const { page, assets } = embedded ?? (await loadFromListener());
  const immutable = "public, max-age=31536000, immutable";
  return {
    handle(req, path) {
      if (ROUTE_PATTERNS.some((r) => r.test(path))) return respond(req, page, 200, "no-cache");
      // Asset names carry a content hash: a changed file gets a new name, so they never need revalidating.
      const a = assets.get(path);
      return a ? respond(req, a, 200, immutable) : null;
    },
    notFound: (req) => respond(req, page, 404, "no-cache"),
    scriptBytes() {
      const js = [...assets.values()].filter((a) => a.type.includes("javascript"));
      const sum = (k: "identity" | "gzip" | "br") => js.reduce((n, a) => n + a[k].byteLength, 0);
      return { raw: sum("identity"), gzip: sum("gzip"), br: sum("br") };
    },
  };
}

/** Outside a compiled binary Bun bundles the page only when it is served: serve it once and read it back. */
async function loadFromListener(): Promise<{ page: Asset; assets: Map<string, Asset> }> {
  const tmp = Bun.serve({ hostname: "127.0.0.1", port: 0, development: false, routes: { "/": index }, fetch: () => new Response(null, { status: 404 }) });
  const assets = new Map<string, Asset>();
  let page: Asset;
  try {
    const base = `http://127.0.0.1:${tmp.port}`;
    const html = await (await fetch(`${base}/`)).text();
    page = compress("text/html;charset=utf-8", new TextEncoder().encode(html));
    for (const [, path] of html.matchAll(/(?:src|href)="(\/[^"]+)"/g)) {
      const res = await fetch(`${base}${path}`);
      if (!res.ok) throw new Error(`the web UI asset ${path} is missing (${res.status})`);
      assets.set(path, compress(res.headers.get("content-type") ?? "application/octet-stream", new Uint8Array(await res.arrayBuffer())));
    }
  } finally {
    tmp.stop(true);
  }
  return { page, assets };
}
