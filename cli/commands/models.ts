// `modelhub models` (list) and `modelhub models add IMAGE [--name owner/name]`.
import { defaultModelName } from "../../server/contract/model-name.ts";
import type { Client } from "../client.ts";

interface ModelJson {
  owner: string;
  name: string;
  run_count: number;
  latest_version: { id: string; cog_version: string; created_at: string } | null;
}

export async function listModels(client: Client, asJson: boolean): Promise<string> {
  const rows: ModelJson[] = [];
  let path: string | null = "/v1/models";
  while (path) {
    const page: { results: ModelJson[]; next: string | null } = await client.request("GET", path);
    rows.push(...page.results);
    path = page.next ? new URL(page.next).pathname + new URL(page.next).search : null;
  }
  if (asJson) return JSON.stringify(rows, null, 2);
  if (!rows.length) return "No models yet. Add one with: modelhub models add IMAGE --name owner/name";
  const table = [["MODEL", "VERSION", "COG", "RUNS"], ...rows.map((m) => [`${m.owner}/${m.name}`, m.latest_version?.id.slice(0, 12) ?? "-", m.latest_version?.cog_version ?? "-", String(m.run_count)])];
  const w = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  return table.map((r) => r.map((c, i) => c.padEnd(w[i])).join("  ").trimEnd()).join("\n");
}

export async function addModel(client: Client, image: string, name?: string): Promise<string> {
  const full = name ?? defaultModelName(image);
  const [owner, model] = full.split("/");
  if (!owner || !model) throw new Error(`--name must look like owner/name, got "${full}"`);
  const v: { id: string; cog_version: string } = await client.request("POST", `/v1/models/${owner}/${model}/versions`, { image });
  return `Added ${image} as ${full}\n  version ${v.id}\n  cog ${v.cog_version}`;
}
