// Model naming rules shared by the server and the CLI (pure, import-free).

export const MODEL_PART = /^[a-z0-9][a-z0-9._-]{0,99}$/;

const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[-.]+|[-.]+$/g, "") || "model";

/**
 * Default owner/name for an image reference: the last two path parts, without registry host,
 * tag or digest ("ghcr.io/acme/hello:1" → "acme/hello"; "hello" → "local/hello").
 */
export function defaultModelName(ref: string): string {
  const noDigest = ref.split("@")[0];
  const colon = noDigest.lastIndexOf(":");
  const noTag = colon > noDigest.lastIndexOf("/") ? noDigest.slice(0, colon) : noDigest;
  const parts = noTag.split("/");
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0])) parts.shift();
  const name = parts.pop() ?? "model";
  return `${clean(parts.length ? parts[parts.length - 1] : "local")}/${clean(name)}`;
}
