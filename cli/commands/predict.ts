// `modelhub predict MODEL -i name=value ...`: inputs typed and checked with the same schema module the
// server and the web form use (so a mistake is reported per field before anything runs), then one
// prediction, waited for; the output goes to stdout, status and logs to stderr.
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import type { OpenApiDocument } from "../../server/contract/cog-schema.ts";
import { coerceFormValues, type FormValue } from "../../server/contract/form-values.ts";
import { validateInput } from "../../server/contract/input-validation.ts";
import type { Client } from "../client.ts";

const MIME: Record<string, string> = {
  ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
  ".wav": "audio/wav", ".mp3": "audio/mpeg", ".mp4": "video/mp4", ".txt": "text/plain", ".json": "application/json",
};

export class InputError extends Error {}

/** `-i name=value` pairs → form values: `@path` reads a file as a data URL (like cog predict), a repeated name a list. */
export function readInputs(pairs: readonly string[], readFile: (path: string) => Buffer = (p) => readFileSync(p)): Record<string, FormValue> {
  const out: Record<string, string | string[]> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new InputError(`-i takes name=value, got "${pair}"`);
    const name = pair.slice(0, eq);
    let value = pair.slice(eq + 1);
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    else if (value.startsWith("@")) {
      const path = value.slice(1);
      const mime = MIME[extname(path).toLowerCase()] ?? "application/octet-stream";
      value = `data:${mime};base64,${readFile(path).toString("base64")}`;
    }
    const prev = out[name];
    out[name] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
  }
  return out;
}

interface Prediction {
  id: string;
  status: string;
  output: unknown;
  logs: string | null;
  error: string | null;
  urls: { web?: string };
}

export async function predict(client: Client, ref: string, pairs: readonly string[], io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  const m = /^([^/:]+)\/([^/:]+)(?::(.+))?$/.exec(ref);
  if (!m) throw new InputError(`MODEL must look like owner/name or owner/name:version, got "${ref}"`);
  const [, owner, name, versionId] = m;
  const version = versionId
    ? await client.request<{ id: string; openapi_schema: OpenApiDocument }>("GET", `/v1/models/${owner}/${name}/versions/${versionId}`)
    : (await client.request<{ latest_version: { id: string; openapi_schema: OpenApiDocument } | null }>("GET", `/v1/models/${owner}/${name}`)).latest_version;
  if (!version) throw new InputError(`${owner}/${name} has no version yet: add one with modelhub models add IMAGE --name ${owner}/${name}`);

  const input = coerceFormValues(version.openapi_schema, readInputs(pairs));
  const checked = validateInput(version.openapi_schema, input);
  if (!checked.ok) {
    for (const e of checked.errors) io.err(`  ${e.field}: ${e.message}`);
    throw new InputError(`invalid input for ${owner}/${name} (nothing was run)`);
  }
  for (const k of checked.ignored) io.err(`warning: ${owner}/${name} has no input "${k}"; it is ignored`);

  let p = await client.request<Prediction>("POST", "/v1/predictions", { version: version.id, input }, { prefer: "wait" });
  // Longer than the server's 60 s wait: follow it.
  while (!["succeeded", "failed", "canceled"].includes(p.status)) {
    await Bun.sleep(500);
    p = await client.request<Prediction>("GET", `/v1/predictions/${p.id}`);
  }
  if (p.logs) io.err(p.logs.trimEnd());
  io.err(`${p.status}: ${p.urls.web ?? p.id}`);
  if (p.status !== "succeeded") {
    if (p.error) io.err(`error: ${p.error}`);
    return 1;
  }
  const o = p.output;
  if (typeof o === "string") io.out(o);
  else if (Array.isArray(o) && o.every((x) => typeof x === "string")) io.out(o.join(isTextStream(o) ? "" : "\n"));
  else io.out(JSON.stringify(o, null, 2));
  return 0;
}

/** Iterator outputs of text models are token lists: print them joined, not one per line. */
const isTextStream = (o: string[]) => !o.some((x) => /^(https?:|data:)/.test(x));

