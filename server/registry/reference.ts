// The distribution API's path grammar: repository names (which contain slashes), tags, digests, and
// which endpoint a /v2/ path names. Pure; parsed from the right because names contain "/".

const NAME_COMPONENT = "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*";
const NAME = new RegExp(`^${NAME_COMPONENT}(?:/${NAME_COMPONENT})*$`);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const ANY_DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export type RegistryRoute =
  | { kind: "ping" }
  | { kind: "token" }
  | { kind: "blob"; name: string; digest: string }
  | { kind: "uploads"; name: string }
  | { kind: "upload"; name: string; uuid: string }
  | { kind: "manifest"; name: string; reference: string }
  | { kind: "tags"; name: string }
  | { kind: "catalog" }
  | { kind: "referrers"; name: string; digest: string }
  | { kind: "unknown" };

/** Which endpoint `/v2/...` names. The name is whatever precedes the reserved segments. */
export function parseRegistryPath(pathname: string): RegistryRoute {
  if (pathname === "/v2/" || pathname === "/v2") return { kind: "ping" };
  if (pathname === "/v2/token") return { kind: "token" };
  if (pathname === "/v2/_catalog") return { kind: "catalog" };
  const rest = pathname.slice("/v2/".length);
  let m: RegExpExecArray | null;
  if ((m = /^(.+)\/blobs\/uploads\/?$/.exec(rest))) return { kind: "uploads", name: m[1] };
  if ((m = /^(.+)\/blobs\/uploads\/([A-Za-z0-9-]+)$/.exec(rest))) return { kind: "upload", name: m[1], uuid: m[2] };
  if ((m = /^(.+)\/blobs\/([^/]+)$/.exec(rest))) return { kind: "blob", name: m[1], digest: decodeURIComponent(m[2]) };
  if ((m = /^(.+)\/manifests\/([^/]+)$/.exec(rest))) return { kind: "manifest", name: m[1], reference: decodeURIComponent(m[2]) };
  if ((m = /^(.+)\/tags\/list$/.exec(rest))) return { kind: "tags", name: m[1] };
  if ((m = /^(.+)\/referrers\/([^/]+)$/.exec(rest))) return { kind: "referrers", name: m[1], digest: decodeURIComponent(m[2]) };
  return { kind: "unknown" };
}

export const isRepositoryName = (name: string) => name.length <= 255 && NAME.test(name);
export const isTag = (ref: string) => TAG.test(ref);
/** sha256 only: the one algorithm modelhub verifies. */
export const isSha256Digest = (d: string) => DIGEST.test(d);
/** Looks like some digest (so an unsupported algorithm gets DIGEST_INVALID, not "bad tag"). */
export const looksLikeDigest = (d: string) => d.includes(":") && ANY_DIGEST.test(d);

/** The catalogued shape: exactly owner/model, each part a valid model-name component. */
export function splitModelRepository(name: string): { owner: string; model: string } | null {
  const parts = name.split("/");
  if (parts.length !== 2) return null;
  return { owner: parts[0], model: parts[1] };
}
