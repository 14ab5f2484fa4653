// `modelhub models` (list), `models add IMAGE`, `models show MODEL`, `models update MODEL`, `models rm MODEL[:VERSION]`.
import { createInterface } from "node:readline/promises";
import { defaultModelName } from "../../server/contract/model-name.ts";
import { isFileOutput, isIteratorOutput, type OpenApiDocument, outputSchema } from "../../server/contract/cog-schema.ts";
import { orderedProperties } from "../../server/contract/input-fields.ts";
import { ApiError, type Client } from "../client.ts";
import type { Context } from "../context.ts";
import { parseModelRef, UsageError } from "../usage.ts";
import { formatPolicy } from "./policy.ts";
import { table } from "./predictions.ts";

interface VersionJson {
  id: string;
  cog_version: string;
  created_at: string;
  image?: string;
  openapi_schema: OpenApiDocument;
  /** pushed versions (/v2/): getting the image into the engine */
  import?: { status: "importing" | "ready" | "failed"; progress: string | null; error: string | null } | null;
}

/** A version id, with its import state while a pushed image is not in the engine yet. */
export function versionLabel(v: Pick<VersionJson, "id" | "import">): string {
  const id = v.id.slice(0, 12);
  const i = v.import;
  if (!i || i.status === "ready") return id;
  const why = i.status === "failed" ? i.error : i.progress;
  const short = why && why.length > 48 ? `${why.slice(0, 47)}…` : why;
  return `${id} (${i.status}${short ? `: ${short}` : ""})`;
}

interface ModelJson {
  owner: string;
  name: string;
  description: string | null;
  visibility: string;
  predictions_visibility?: string;
  run_count: number;
  hardware?: string | null;
  url?: string;
  latest_version: VersionJson | null;
}

export async function listModels(client: Client, asJson: boolean): Promise<string> {
  const rows = await client.all<ModelJson>("/v1/models");
  if (asJson) return JSON.stringify(rows, null, 2);
  if (!rows.length) return "No models yet. Add one with: modelhub models add IMAGE --name owner/name (or modelhub pull IMAGE)";
  return table([
    ["MODEL", "VERSION", "COG", "RUNS", "VISIBILITY"],
    ...rows.map((m) => [`${m.owner}/${m.name}`, m.latest_version ? versionLabel(m.latest_version) : "-", m.latest_version?.cog_version ?? "-", String(m.run_count), m.visibility]),
  ]);
}

export async function addModel(client: Client, image: string, name?: string): Promise<string> {
  const full = name ?? defaultModelName(image);
  const [owner, model] = full.split("/");
  if (!owner || !model) throw new UsageError(`--name must look like owner/name, got "${full}"`);
  const v: { id: string; cog_version: string; cog_runtime?: { line: string; warning?: string } } = await client.request("POST", `/v1/models/${owner}/${model}/versions`, { image });
  const server = v.cog_runtime ? ` (${v.cog_runtime.line === "coglet" ? "coglet, the Rust server of Cog 0.17+" : "Cog's Python server"})` : "";
  const warning = v.cog_runtime?.warning ? `\n  warning: ${v.cog_runtime.warning}` : "";
  return `Added ${image} as ${full}\n  version ${v.id}\n  cog ${v.cog_version}${server}${warning}`;
}

/** One line per input: name, type, default or "required", and the description. */
export function schemaSummary(doc: OpenApiDocument): string[] {
  const lines: string[] = [];
  const fields = orderedProperties(doc);
  const rows = fields.map((f) => {
    const s = f.schema as { type?: string; format?: string; minimum?: number; maximum?: number };
    let type = s.format === "uri" ? "file" : (s.type ?? "any");
    if (f.enum) type = f.enum.map(String).join("|");
    else if (s.minimum !== undefined || s.maximum !== undefined) type += ` [${s.minimum ?? ""}..${s.maximum ?? ""}]`;
    const dflt = f.required && !f.hasDefault ? "required" : f.hasDefault ? `default ${JSON.stringify(f.default)}` : "optional";
    return [`  ${f.name}`, type, dflt, f.description];
  });
  lines.push(fields.length ? "Inputs:" : "Inputs: none");
  if (rows.length) lines.push(...table(rows).split("\n"));
  const out = outputSchema(doc);
  if (out) {
    const items = (out.items as { type?: string; format?: string } | undefined) ?? {};
    const kind = isIteratorOutput(out)
      ? `iterator of ${items.format === "uri" ? "files" : (items.type ?? "values")} (streamed)`
      : isFileOutput(out)
        ? out.type === "array" ? "list of files" : "file"
        : String(out.type ?? "object");
    lines.push(`Output: ${kind}`);
  }
  return lines;
}

export async function showModel(ctx: Context, ref: string | undefined, asJson: boolean): Promise<string> {
  const { owner, name } = parseModelRef(ref, "modelhub models show MODEL");
  const base = `/v1/models/${owner}/${name}`;
  const m = await ctx.client.request<ModelJson>("GET", base);
  const versions = await ctx.client.all<VersionJson>(`${base}/versions`);
  let policy: Parameters<typeof formatPolicy>[0] | null = null;
  try {
    policy = await ctx.client.request("GET", `${base}/policy`);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err;
  }
  if (asJson) return JSON.stringify({ ...m, versions, policy }, null, 2);
  const b = ctx.out.bold;
  const lines = [
    b(`${owner}/${name}`) + (m.description ? `: ${m.description}` : ""),
    `Visibility: ${m.visibility}   Runs: ${m.run_count}   Hardware: ${m.hardware ?? "cpu"}${m.url ? `   Page: ${m.url}` : ""}`,
  ];
  const latest = versions[0] ?? m.latest_version;
  if (latest?.image) lines.push(`Runtime: Cog ${latest.cog_version}, image ${latest.image}`);
  lines.push("", versions.length ? "Versions (newest first):" : "Versions: none yet (modelhub models add IMAGE --name " + `${owner}/${name})`);
  if (versions.length) lines.push(...table(versions.map((v) => [`  ${versionLabel(v)}`, v.created_at.slice(0, 19).replace("T", " "), `cog ${v.cog_version}`, v.image ?? ""])).split("\n"));
  if (latest) lines.push("", ...schemaSummary(latest.openapi_schema));
  if (policy) lines.push("", "Policy:", ...formatPolicy(policy).split("\n").slice(1).map((l) => `  ${l}`));
  lines.push("", `Run it: modelhub predict ${owner}/${name} -i name=value`);
  return lines.join("\n");
}

export async function updateModel(ctx: Context, ref: string | undefined, o: { visibility?: string; predictions?: string; description?: string }, asJson: boolean): Promise<string> {
  const usage = "modelhub models update MODEL [--visibility public|private] [--predictions owner|public] [--description TEXT]";
  const { owner, name, version } = parseModelRef(ref, usage);
  if (version) throw new UsageError(`models update changes the model, not a version: drop ":${version}"`);
  const body: Record<string, unknown> = {};
  if (o.visibility !== undefined) {
    if (o.visibility !== "public" && o.visibility !== "private") throw new UsageError(`--visibility takes public or private, got "${o.visibility}"`);
    body.visibility = o.visibility;
  }
  if (o.predictions !== undefined) {
    if (o.predictions !== "owner" && o.predictions !== "public") throw new UsageError(`--predictions takes owner or public, got "${o.predictions}"`);
    body.predictions_visibility = o.predictions;
  }
  if (o.description !== undefined) body.description = o.description === "" ? null : o.description;
  if (!Object.keys(body).length) throw new UsageError(`nothing to change\nusage: ${usage}`);
  const m = await ctx.client.request<ModelJson>("PATCH", `/v1/models/${owner}/${name}`, body);
  if (asJson) return JSON.stringify(m, null, 2);
  return `Updated ${owner}/${name}: visibility ${m.visibility}, predictions seen by ${m.predictions_visibility === "public" ? "anyone who sees the model" : "their creator"}${m.description ? `, description "${m.description}"` : ", no description"}`;
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export async function removeModel(ctx: Context, ref: string | undefined, yes: boolean, ask = confirm): Promise<string> {
  const { owner, name, version } = parseModelRef(ref, "modelhub models rm MODEL[:VERSION] [--yes]");
  const base = `/v1/models/${owner}/${name}`;
  const m = await ctx.client.request<ModelJson>("GET", base); // a 404 names the model before asking anything
  const what = version ? `version ${version.slice(0, 12)} of ${owner}/${name}` : `${owner}/${name} (${m.run_count} runs; its predictions are kept)`;
  if (!yes) {
    if (!process.stdin.isTTY) throw new UsageError(`removing ${what} needs confirmation: pass --yes`);
    if (!(await ask(`Remove ${what} from the catalog? The Docker image stays. [y/N] `))) return "Nothing removed.";
  }
  await ctx.client.request("DELETE", version ? `${base}/versions/${encodeURIComponent(version)}` : base);
  return `Removed ${what}.`;
}
