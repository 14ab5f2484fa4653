// Docker image references parsed by the distribution grammar before they reach the Engine API:
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [domain "/"] path-component ["/" path-component]*
// Anything else (spaces, "..", query characters, upper case in the path) is refused with a reason.

export interface ImageRef {
  /** registry host[:port], or "" for Docker Hub */
  domain: string;
  /** repository path without the domain ("library/ubuntu" stays "ubuntu" as typed) */
  path: string;
  tag: string | null;
  digest: string | null;
  /** the repository: domain/path, as the engine's `fromImage` takes it */
  repository: string;
  /** the whole reference, normalised (a missing tag and digest means :latest) */
  full: string;
}

const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]{1,5})?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

export class ImageRefError extends Error {}

export function parseImageRef(input: string): ImageRef {
  const s = input.trim();
  const bad = (why: string) => new ImageRefError(`"${input}" is not an image reference (${why}); use e.g. registry.example.com/acme/model:tag`);
  if (!s) throw bad("it is empty");
  if (s.length > 512) throw bad("it is too long");
  let rest = s;
  let digest: string | null = null;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(`"${digest}" is not a digest like sha256:<hex>`);
  }
  let tag: string | null = null;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`"${tag}" is not a valid tag`);
  }
  const parts = rest.split("/");
  let domain = "";
  if (parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === "localhost" || /[A-Z]/.test(parts[0]))) {
    domain = parts.shift()!;
    if (!DOMAIN.test(domain)) throw bad(`"${domain}" is not a registry host`);
  }
  for (const p of parts) if (!PATH_COMPONENT.test(p)) throw bad(`"${p}" is not a valid path component (lower-case letters, digits, and . _ - between them)`);
  const path = parts.join("/");
  if ((domain ? domain.length + 1 : 0) + path.length > 255) throw bad("the name is longer than 255 characters");
  const repository = domain ? `${domain}/${path}` : path;
  const full = `${repository}${tag || !digest ? `:${tag ?? "latest"}` : ""}${digest ? `@${digest}` : ""}`;
  return { domain, path, tag, digest, repository, full };
}
