// `modelhub predictions` (a list, newest first), `modelhub logs ID [-f]` and `modelhub cancel ID`.
import type { Context } from "../context.ts";
import { readSse } from "../sse.ts";
import { UsageError } from "../usage.ts";
import type { Prediction } from "./predict.ts";

interface PredictionRow extends Prediction {
  model: string;
  version: string;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  source: string;
}

const STATUSES = ["starting", "processing", "succeeded", "failed", "canceled", "aborted"];

/** "2026-12-02T04:00:00Z" → "5m ago" (rough, for a table). */
export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

function took(p: PredictionRow): string {
  if (!p.started_at) return "-";
  const end = p.completed_at ? Date.parse(p.completed_at) : Date.now();
  const s = (end - Date.parse(p.started_at)) / 1000;
  return s < 10 ? `${s.toFixed(2)}s` : `${Math.round(s)}s`;
}

export function table(rows: string[][]): string {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(w[c])).join("  ").trimEnd()).join("\n");
}

export async function listPredictions(ctx: Context, o: { model?: string; status?: string; limit?: string; json: boolean }): Promise<string> {
  const limit = o.limit === undefined ? 50 : Number(o.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit takes a positive whole number, got "${o.limit}"`);
  if (o.status && !STATUSES.includes(o.status)) throw new UsageError(`--status takes one of ${STATUSES.join(", ")}, got "${o.status}"`);
  // The API lists everything newest first; filters are applied while paging, up to the limit.
  const rows: PredictionRow[] = [];
  let next: string | null = "/v1/predictions";
  while (next && rows.length < limit) {
    const page: { results: PredictionRow[]; next: string | null } = await ctx.client.request("GET", next);
    for (const p of page.results) {
      if (o.model && p.model !== o.model && !p.model.startsWith(`${o.model}:`)) continue;
      if (o.status && p.status !== o.status) continue;
      if (rows.length < limit) rows.push(p);
    }
    next = page.next;
  }
  if (o.json) return JSON.stringify(rows, null, 2);
  if (!rows.length) return o.model || o.status ? "No predictions match." : "No predictions yet. Run one with: modelhub predict MODEL -i name=value";
  const st = ctx.out;
  const colour = (s: string) => (s === "succeeded" ? st.green(s) : s === "failed" ? st.red(s) : s === "canceled" ? st.yellow(s) : s);
  const body = table([["ID", "MODEL", "STATUS", "CREATED", "TOOK", "SOURCE"], ...rows.map((p) => [p.id, p.model, p.status, ago(p.created_at), took(p), p.source])]);
  // Colour after aligning, so escape codes do not skew the columns.
  return body.split("\n").map((l, i) => (i === 0 ? st.bold(l) : l.replace(/\b(succeeded|failed|canceled)\b/, colour))).join("\n");
}

/** Prints the logs; with -f, follows the prediction's stream until it ends. Exit 1 if it failed. */
export async function logs(ctx: Context, id: string, follow: boolean): Promise<number> {
  const p = await ctx.client.request<PredictionRow>("GET", `/v1/predictions/${encodeURIComponent(id)}`);
  const terminal = ["succeeded", "failed", "canceled"].includes(p.status);
  if (!follow || terminal || !p.urls.stream) {
    if (p.logs) process.stdout.write(p.logs.endsWith("\n") ? p.logs : p.logs + "\n");
    if (follow && terminal) process.stderr.write(`${p.status}\n`);
    return 0;
  }
  // The stream replays every log line so far, then the new ones live.
  const res = await ctx.client.raw("GET", p.urls.stream, { headers: { accept: "text/event-stream" } });
  for await (const e of readSse(res.body!)) {
    if (e.event === "logs") process.stdout.write(e.data + "\n");
    else if (e.event === "done") break;
  }
  const end = await ctx.client.request<PredictionRow>("GET", `/v1/predictions/${encodeURIComponent(id)}`);
  process.stderr.write(`${end.status}${end.error ? `: ${end.error}` : ""}\n`);
  return 0;
}

export async function cancel(ctx: Context, id: string): Promise<string> {
  const p = await ctx.client.request<PredictionRow>("POST", `/v1/predictions/${encodeURIComponent(id)}/cancel`);
  if (p.status === "canceled") return `Canceled ${p.id} (${p.model}).`;
  if (["succeeded", "failed"].includes(p.status)) return `${p.id} had already ${p.status}; nothing to cancel.`;
  return `Asked ${p.model} to cancel ${p.id} (now ${p.status}); modelhub logs ${p.id} -f shows when it ends.`;
}
