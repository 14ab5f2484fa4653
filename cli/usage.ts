// A mistake in how a command was called: printed with what to type instead, exit code 2.
import { ConfigError } from "../server/config.ts";

export class UsageError extends ConfigError {}

/** "owner/name" or "owner/name:version" → its parts; anything else is a usage error. */
export function parseModelRef(ref: string | undefined, usage: string): { owner: string; name: string; version?: string } {
  const m = ref ? /^([^/:\s]+)\/([^/:\s]+)(?::([^\s/]+))?$/.exec(ref) : null;
  if (!m) throw new UsageError(ref ? `"${ref}" is not a model: use owner/name or owner/name:VERSION\nusage: ${usage}` : `usage: ${usage}`);
  return { owner: m[1], name: m[2], version: m[3] };
}
