// `modelhub tokens [list]`, `tokens create --name NAME [--role user|admin]`, `tokens revoke ID|NAME` (admin).
import type { Context } from "../context.ts";
import { UsageError } from "../usage.ts";
import { ago, table } from "./predictions.ts";

interface TokenJson {
  id: string;
  name: string;
  role: string;
  created_at: string;
  last_used_at?: string | null;
  token?: string;
}

export async function createToken(ctx: Context, name: string | undefined, role: string | undefined, asJson: boolean): Promise<string> {
  if (!name) throw new UsageError("usage: modelhub tokens create --name NAME [--role user|admin]");
  if (role !== undefined && role !== "user" && role !== "admin") throw new UsageError(`--role takes user or admin, got "${role}"`);
  const t = await ctx.client.request<TokenJson>("POST", "/v1/tokens", { name, ...(role ? { role } : {}) });
  if (asJson) return JSON.stringify(t, null, 2);
  process.stderr.write(`Created ${t.role} token "${t.name}" (${t.id}). It is shown only now; keep it somewhere safe:\n`);
  return t.token ?? "";
}

export async function listTokens(ctx: Context, asJson: boolean): Promise<string> {
  const rows = await ctx.client.all<TokenJson>("/v1/tokens");
  if (asJson) return JSON.stringify(rows, null, 2);
  if (!rows.length) return "No tokens. Create one with: modelhub tokens create --name NAME";
  return table([["ID", "NAME", "ROLE", "CREATED", "LAST USED"], ...rows.map((t) => [t.id, t.name, t.role, ago(t.created_at), t.last_used_at ? ago(t.last_used_at) : "never"])]);
}

export async function revokeToken(ctx: Context, idOrName: string): Promise<string> {
  await ctx.client.request("DELETE", `/v1/tokens/${encodeURIComponent(idOrName)}`);
  return `Revoked ${idOrName}.`;
}
