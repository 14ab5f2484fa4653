// The origin absolute URLs are made on. --public-url when set; on loopback the request's Host (the
// Host guard has checked it is a loopback name); bound to the network without --public-url, the
// bound address itself (or the machine's first LAN address for 0.0.0.0 / ::), never whatever Host
// a client sent.
import { networkInterfaces } from "node:os";
import { isLoopbackHost } from "./host-guard.ts";

export function boundOrigin(host: string, port: number): string {
  let addr = host;
  if (host === "0.0.0.0" || host === "::" || host === "") {
    const all = Object.values(networkInterfaces()).flat();
    addr = all.find((i) => i && i.family === "IPv4" && !i.internal)?.address ?? "127.0.0.1";
  }
  return `http://${addr.includes(":") ? `[${addr}]` : addr}:${port}`;
}

/** The --public-url a server bound to `host` should use when none was given ("" = follow the checked Host). */
export function defaultPublicUrl(host: string, port: number, publicUrl: string): string {
  if (publicUrl || isLoopbackHost(host) || port === 0) return publicUrl;
  return boundOrigin(host, port);
}
