// Where modelhub may send requests a caller chose (webhooks, URL inputs a model fetches). Refused by
// default: modelhub's own listeners (a webhook aimed at /v1/predictions would feed itself), link-local
// addresses and the cloud metadata services, the unspecified address. Other loopback ports and LAN
// hosts are allowed (receivers on the same machine are common). --webhook-allow names hosts, IPs or
// CIDRs to allow although the rules above would refuse them.
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

const METADATA_NAMES = new Set(["metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal"]);
const METADATA_IPS = new Set(["169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "168.63.129.16"]);

const linkLocal = new BlockList();
linkLocal.addSubnet("169.254.0.0", 16, "ipv4");
linkLocal.addSubnet("fe80::", 10, "ipv6");

const family = (ip: string) => (isIP(ip) === 6 ? "ipv6" : "ipv4");
const isLoopbackIp = (ip: string) => ip === "::1" || ip.startsWith("127.") || ip === "::ffff:127.0.0.1";
const isUnspecified = (ip: string) => ip === "0.0.0.0" || ip === "::";

export class TargetPolicy {
  private allowNames = new Set<string>();
  private allowIps = new BlockList();
  /** host:port pairs modelhub listens on (the API, the callback listener); filled as they open */
  private ownListeners: { host: string; port: number }[] = [];
  /** origins that are modelhub's own whatever they resolve to (--public-url) */
  private ownOrigins = new Set<string>();

  constructor(allow: string, private resolve: (host: string) => Promise<string[]> = async (h) => (await lookup(h, { all: true })).map((a) => a.address)) {
    for (const raw of allow.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean)) {
      const [ip, bits] = raw.split("/");
      if (isIP(ip)) {
        if (bits === undefined) this.allowIps.addAddress(ip, family(ip));
        else this.allowIps.addSubnet(ip, Number(bits), family(ip));
      } else this.allowNames.add(raw);
    }
  }

  /** Records a listener of modelhub's own: requests to it (by any loopback or its own address) are refused. */
  addOwnListener(host: string, port: number): void {
    this.ownListeners.push({ host, port });
  }

  addOwnOrigin(origin: string): void {
    if (origin) this.ownOrigins.add(new URL(origin).origin);
  }

  /** A URL on one of modelhub's own origins (inputs may name its files; the file bridge checks those). */
  isOwnOrigin(raw: string): boolean {
    try {
      return this.ownOrigins.has(new URL(raw).origin);
    } catch {
      return false;
    }
  }

  /** Why `raw` may not be a target, or null when it may. */
  async refusal(raw: string): Promise<string | null> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return "is not a URL";
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return "must be an http(s) URL";
    if (this.ownOrigins.has(url.origin)) return "points at modelhub itself";
    const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    if (this.allowNames.has(host)) return null;
    if (METADATA_NAMES.has(host)) return "points at a cloud metadata service";
    let addresses: string[];
    try {
      addresses = isIP(host) ? [host] : await this.resolve(host);
    } catch {
      // Nothing to send to yet; a webhook is checked again when it is delivered.
      return null;
    }
    for (const ip of addresses) {
      if (this.allowIps.check(ip, family(ip))) continue;
      if (METADATA_IPS.has(ip)) return "points at a cloud metadata service";
      if (linkLocal.check(ip, family(ip))) return "points at a link-local address";
      if (isUnspecified(ip)) return "points at the unspecified address";
      for (const own of this.ownListeners)
        if (own.port === port && (isLoopbackIp(ip) || ip === own.host || isUnspecified(own.host))) return "points at modelhub itself";
    }
    return null;
  }
}
