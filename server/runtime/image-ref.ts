// Docker image references, checked against the grammar Docker itself uses (distribution/reference):
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [domain "/"] path-component ["/" path-component]*
//   domain    := domain-component ["." domain-component]* [":" port]   (or [IPv6])
//   path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | __ | -+
//   tag       := [\w][\w.-]{0,127}
//   digest    := algorithm ":" hex{32,}
// Only a reference that parses reaches the Engine API, and then escaped: "../x" or "a/b?c" never
// become part of a request path.

const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
const REFERENCE = new RegExp(`^(?:(${DOMAIN})/)?(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`);
/** Docker's limit on a repository name. */
const NAME_MAX = 255;

export interface ImageReference {
  domain: string | null;
  path: string;
  tag: string | null;
  digest: string | null;
}

/** The parsed reference, or the reason it is not one. */
export function parseImageReference(ref: string): ImageReference | { error: string } {
  if (typeof ref !== "string" || !ref) return { error: "is empty" };
  // An image id ("sha256:<64 hex>") names an image as well as a reference does.
  if (/^sha256:[0-9a-f]{64}$/.test(ref)) return { domain: null, path: ref, tag: null, digest: null };
  const m = REFERENCE.exec(ref);
  if (!m) {
    if (/[A-Z]/.test(ref.split(/[:@]/)[0].split("/").slice(-1)[0] ?? "")) return { error: "has upper-case letters in its repository name (Docker allows only lower case)" };
    return { error: "is not a Docker image reference (like acme/hello:latest, registry.local:5000/acme/hello@sha256:…)" };
  }
  const name = (m[1] ? m[1] + "/" : "") + m[2];
  if (name.length > NAME_MAX) return { error: `has a repository name over ${NAME_MAX} characters` };
  return { domain: m[1] ?? null, path: m[2], tag: m[3] ?? null, digest: m[4] ?? null };
}

/** The reference as one Engine API path segment. */
export const escapeImageReference = (ref: string) => encodeURIComponent(ref);
