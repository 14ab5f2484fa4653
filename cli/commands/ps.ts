// `modelhub ps`: what runs where — model, version, state, GPUs, uptime, idle for, in flight, queued, boot time —
// and the disk the registry (/v2/) holds, since pushed layers stay there for team machines to pull.
import type { Client } from "../client.ts";
import { formatBytes } from "../progress.ts";
import type { InstancesJson } from "../../server/contract/wire-extensions.ts";

/** The registry part of GET /health. */
export interface RegistryDisk {
  blobs: number;
  blob_bytes: number;
  upload_bytes: number;
  uploads_in_progress: number;
}


/** 75 → "1m15s", 4000 → "1h06m": short enough for a table column. */
export function duration(seconds: number | null): string {
  if (seconds === null) return "-";
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

function ms(v: number | null): string {
  if (v === null) return "-";
  return v < 10_000 ? `${Math.round(v)}ms` : `${(v / 1000).toFixed(1)}s`;
}

const name = (model: string, deployment: string | null) => (deployment ? `${deployment} (deployment of ${model})` : model);

export function formatRegistryDisk(d: RegistryDisk): string {
  const uploads = d.uploads_in_progress || d.upload_bytes ? `; uploads: ${d.uploads_in_progress} in progress, ${formatBytes(d.upload_bytes)}` : "";
  return `Registry disk: ${formatBytes(d.blob_bytes)} in ${d.blobs} blob${d.blobs === 1 ? "" : "s"}${uploads}`;
}

export function formatPs(r: InstancesJson, registry: RegistryDisk | null = null): string {
  const rows: string[][] = [["MODEL", "VERSION", "STATE", "NODE", "GPUS", "UPTIME", "IDLE", "IN FLIGHT", "QUEUED", "BOOT", "SERVER"]];
  for (const i of r.instances)
    rows.push([
      name(i.model, i.deployment),
      i.version.slice(0, 12),
      i.state + (i.adopted ? " (adopted)" : ""),
      i.node,
      i.gpus.length ? i.gpus.join(",") + (i.gpus_simulated ? " (sim)" : "") : "-",
      duration(i.uptime_seconds),
      duration(i.idle_seconds),
      `${i.in_flight}/${i.concurrency}`,
      String(i.queued),
      i.adopted ? "(before restart)" : ms(i.boot_ms),
      i.cog_server ?? "-",
    ]);
  // Work waiting with no instance up (waiting for a GPU, backing off, setup failed) gets a row too.
  const shown = new Set(r.instances.map((i) => `${i.version}|${i.deployment}`));
  for (const q of r.queues) {
    if (shown.has(`${q.version}|${q.deployment}`)) continue;
    const state = q.setup_error ? "setup failed" : q.backoff_until ? "backing off" : q.queued ? "waiting" : "idle";
    rows.push([name(q.model, q.deployment), q.version.slice(0, 12), state, "-", "-", "-", "-", "0", String(q.queued), "-", "-"]);
  }
  const lines: string[] = [];
  if (rows.length === 1) lines.push("No instances running.");
  else {
    const w = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
    for (const row of rows) lines.push(row.map((cell, c) => cell.padEnd(w[c])).join("  ").trimEnd());
  }
  for (const q of r.queues) {
    const why = q.setup_error ?? q.waiting_for;
    if (why) lines.push(`${name(q.model, q.deployment)}: ${why}`);
  }
  const g = r.gpus;
  if (g.source === "fake") lines.push(`GPUs: ${g.devices.length} simulated (--gpus fake:${g.devices.length}): assigned on paper, containers get no device requests`);
  else if (g.devices.length === 0) lines.push(`GPUs: none${g.note ? ` (${g.note})` : ""}`);
  else lines.push(`GPUs: ${g.devices.map((d) => d.index).join(", ")}`);
  if (registry) lines.push(formatRegistryDisk(registry));
  return lines.join("\n");
}

/** The registry's disk use from /health; null when the server has no registry or health cannot say. */
async function registryDisk(client: Client): Promise<RegistryDisk | null> {
  try {
    // Read whatever the status: a 503 (Docker unreachable) still reports the registry's disk.
    const res = await fetch(`${client.baseUrl}/health`);
    const body = (await res.json()) as { registry?: RegistryDisk };
    return body.registry ?? null;
  } catch {
    return null;
  }
}

export async function ps(client: Client, asJson: boolean): Promise<string> {
  const [r, registry] = await Promise.all([client.request<InstancesJson>("GET", "/v1/instances"), registryDisk(client)]);
  if (asJson) return JSON.stringify(registry ? { ...r, registry } : r, null, 2);
  return formatPs(r, registry);
}
