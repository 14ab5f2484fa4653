// DNS-rebinding guard: while modelhub listens on loopback only, a request must name a loopback host
// (or the configured public URL's). Otherwise a web page on another site could point its own name at
// 127.0.0.1 and drive this API from the user's browser.
import { forbidden } from "../errors.ts";
import { problem } from "./respond.ts";

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Hostname of a Host header value ("[::1]:5100" → "[::1]", "a.b:80" → "a.b"). */
export function hostnameOf(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  return h.split(":")[0];
}

/**
 * A checker that answers 403 for a foreign Host header, or undefined when the request may go on.
 * `nodeRegistry` (--node-registry-url, HOST:PORT) is the name nodes' engines pull from modelhub's
 * registry by, through a proxy or forwarder the admin set up: allowed like the public URL's.
 */
export function hostGuard(listenHost: string, publicUrl: string, nodeRegistry = ""): (request: Request) => Response | undefined {
  if (!isLoopbackHost(listenHost)) return () => undefined; // on the network by the user's choice
  const allowed = new Set(LOOPBACK_NAMES);
  if (publicUrl) allowed.add(hostnameOf(new URL(publicUrl).host));
  if (nodeRegistry) allowed.add(hostnameOf(nodeRegistry));
  return (request) => {
    const host = request.headers.get("host");
    if (!host) return undefined; // HTTP/1.0 or in-process callers: no name to rebind
    const name = hostnameOf(host);
    if (allowed.has(name) || isLoopbackHost(name)) return undefined;
    return problem(
      forbidden(`Host "${host}" is not allowed: this modelhub listens on ${listenHost} only. If you reach it through a proxy or another name, start it with --public-url set to that address.`),
    );
  };
}
