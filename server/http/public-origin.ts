// The origin absolute URLs are made on. --public-url when set; on loopback the request's Host (the
// Host guard has checked it is a loopback name); bound to the network without --public-url, the
// bound address itself (or the machine's first LAN address for 0.0.0.0 / ::), never whatever Host
// a client sent.
import { isLoopbackHost } from "./host-guard.ts";

/**
 * The --public-url a server bound to `host` should use when none was given ("" = follow the checked
 * Host). `lanAddress` names the machine's own address for a wildcard bind.
 */
export function defaultPublicUrl(host: string, port: number, publicUrl: string, lanAddress: () => string): string {
  if (publicUrl || isLoopbackHost(host) || port === 0) return publicUrl;
  const addr = host === "0.0.0.0" || host === "::" || host === "" ? lanAddress() : host;
  return `http://${addr.includes(":") ? `[${addr}]` : addr}:${port}`;
}
