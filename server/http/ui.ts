// The web UI: one HTML page (web/index.html) and its hashed script and style assets, served
// compressed (brotli or gzip, negotiated) with immutable caching for the assets. The page routes on
// the client, so every client route answers the same HTML; any other GET from a browser outside the
// API gets that page with status 404, which renders the UI's own not-found page.
//
// Bun turns an HTML import into a page (bundling and hash-naming its assets; `bun build --compile`
// embeds them) only when it is served as a Bun.serve route. So the page is served once on a private
// loopback port at startup, read back with its assets, compressed once, and the listener closed.
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
  gzip: Uint8Array<ArrayBuffer>;
  br: Uint8Array<ArrayBuffer>;
  etag: string;
}

type Handler = (req: Request) => Response;
export interface UiServer {
  /** Bun.serve `routes`: the client routes and every asset. */
  routes: Record<string, Handler>;
  /** Wraps the API's fetch handler: a browser's 404 outside the API becomes the UI's not-found page. */
  withNotFoundPage<A extends unknown[]>(fetch: (req: Request, ...rest: A) => Response | Promise<Response>): (req: Request, ...rest: A) => Promise<Response>;
  /** Compressed bytes of the JavaScript (brotli, gzip), for the size budget. */
  scriptBytes(): { raw: number; gzip: number; br: number };
}

function compress(type: string, body: Uint8Array<ArrayBuffer>): Asset {
  return {
    type,
    identity: body,
    gzip: new Uint8Array(Bun.gzipSync(body, { level: 9 })),
    br: new Uint8Array(brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })),
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

/** Reads the bundled page and its assets back from a private listener and prepares them to serve. */
async function load(): Promise<UiServer> {
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
  const pageHandler: Handler = (req) => respond(req, page, 200, "no-cache");
  const routes: Record<string, Handler> = {};
  for (const path of CLIENT_ROUTES) routes[path] = pageHandler;
  // Asset names carry a content hash: a changed file gets a new name, so they never need revalidating.
  for (const [path, a] of assets) routes[path] = (req) => respond(req, a, 200, "public, max-age=31536000, immutable");

  return {
    routes,
    withNotFoundPage(fetchApi) {
      return async (req, ...rest) => {
        const res = await fetchApi(req, ...rest);
        if (res.status !== 404 || (req.method !== "GET" && req.method !== "HEAD")) return res;
        const path = new URL(req.url).pathname;
        if (NOT_UI.test(path) || !(req.headers.get("accept") ?? "").includes("text/html")) return res;
        return respond(req, page, 404, "no-cache");
      };
    },
    scriptBytes() {
      const js = [...assets.values()].filter((a) => a.type.includes("javascript"));
      const sum = (k: "identity" | "gzip" | "br") => js.reduce((n, a) => n + a[k].byteLength, 0);
      return { raw: sum("identity"), gzip: sum("gzip"), br: sum("br") };
    },
  };
}
