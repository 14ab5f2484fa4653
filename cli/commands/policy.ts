// `modelhub policy MODEL [key=value ...]` shows or changes a model's run policy; `modelhub retry
// MODEL[:VERSION]` forgets a remembered setup failure so the next prediction boots it again.
import type { Client } from "../client.ts";

interface PolicyJson {
  model: string;
  policy: Record<string, unknown>;
  effective: (Record<string, unknown> & { version: string; sources: Record<string, string> }) | null;
  setup_error: string | null;
}

/** "2" → 2, "0,1" → [0, 1] (pinned_gpus), "never", "default"/"null" → null (back to the default). */
export function parseAssignment(arg: string): [string, unknown] {
  const eq = arg.indexOf("=");
  if (eq <= 0) throw new Error(`expected key=value, got "${arg}" (e.g. idle_timeout=600, gpus=1, pinned_gpus=0,1, min_instances=1, memory=8g)`);
  const key = arg.slice(0, eq).trim().replace(/-/g, "_");
  const raw = arg.slice(eq + 1).trim();
  if (raw === "default" || raw === "null" || raw === "") return [key, null];
  if (key === "pinned_gpus") return [key, raw.split(",").map((x) => Number(x.trim()))];
  if (key === "node") return [key, raw];
  // node_labels=gpu=4090,zone=attic
  if (key === "node_labels") return [key, Object.fromEntries(raw.split(",").map((kv) => [kv.slice(0, kv.indexOf("=")).trim(), kv.slice(kv.indexOf("=") + 1).trim()]))];
  if (raw === "never") return [key, "never"];
  const n = Number(raw);
  return [key, Number.isFinite(n) ? n : raw];
}

/** 8589934592 → "8g"; 0 → "none" (no limit) */
function size(bytes: number): string {
  if (bytes === 0) return "none";
  for (const [unit, n] of [["t", 1024 ** 4], ["g", 1024 ** 3], ["m", 1024 ** 2], ["k", 1024]] as const) if (bytes % n === 0) return `${bytes / n}${unit}`;
  return String(bytes);
}

export function formatPolicy(p: PolicyJson): string {
  const lines = [`${p.model}${p.effective ? ` (version ${p.effective.version.slice(0, 12)})` : ""}`];
  const keys = Object.keys(p.policy);
  const rows = [["SETTING", "VALUE", "FROM"]];
  for (const k of keys) {
    const eff = p.effective ? p.effective[k] : p.policy[k];
    const shown = Array.isArray(eff) ? (eff.length ? eff.join(",") : "-") : eff !== null && typeof eff === "object" ? Object.entries(eff).map(([a, b]) => `${a}=${b}`).join(",") || "-" : k === "memory" && typeof eff === "number" ? size(eff) : String(eff ?? "-");
    rows.push([k, shown, p.effective?.sources[k] ?? (p.policy[k] === null ? "default" : "policy")]);
  }
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) lines.push(r.map((cell, c) => cell.padEnd(w[c])).join("  ").trimEnd());
  if (p.setup_error) lines.push(`setup failed: ${p.setup_error}`, `  retry with: modelhub retry ${p.model}`);
  return lines.join("\n");
}

function split(model: string): [string, string, string | undefined] {
  const m = /^([^/:]+)\/([^/:]+)(?::(.+))?$/.exec(model);
  if (!m) throw new Error(`"${model}" is not a model name (owner/name)`);
  return [m[1], m[2], m[3]];
}

export async function policy(client: Client, model: string, assignments: string[], asJson: boolean): Promise<string> {
  const [owner, name] = split(model);
  const path = `/v1/models/${owner}/${name}/policy`;
  const r: PolicyJson = assignments.length
    ? await client.request("PATCH", path, Object.fromEntries(assignments.map(parseAssignment)))
    : await client.request("GET", path);
  return asJson ? JSON.stringify(r, null, 2) : formatPolicy(r);
}

export async function retry(client: Client, ref: string): Promise<string> {
  const [owner, name, given] = split(ref);
  let id = given;
  if (!id) {
    const m: { latest_version: { id: string } | null } = await client.request("GET", `/v1/models/${owner}/${name}`);
    if (!m.latest_version) throw new Error(`${owner}/${name} has no versions`);
    id = m.latest_version.id;
  }
  const r: { previous_error: string | null } = await client.request("POST", `/v1/models/${owner}/${name}/versions/${id}/retry`);
  return r.previous_error
    ? `Cleared the setup failure of ${owner}/${name}:${id.slice(0, 12)}; the next prediction starts it again.`
    : `${owner}/${name}:${id.slice(0, 12)} had no remembered setup failure; nothing to clear.`;
}
