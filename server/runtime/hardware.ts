// Hardware SKUs of this machine, Replicate-shaped ({sku, name}): "cpu", "gpu-Nx" (any N GPUs) and
// "gpu-I" / "gpu-I-J" (pinned to those GPU indices). Deployments name one; GET /v1/hardware lists them.
import type { GpuInventory } from "./gpus.ts";

export interface HardwareSku {
  sku: string;
  name: string;
}

export interface GpuSelection {
  gpus: number;
  /** exact indices, or null for "any free ones" */
  pinned: number[] | null;
}

export function hardwareList(inv: GpuInventory): HardwareSku[] {
  const out: HardwareSku[] = [{ sku: "cpu", name: "CPU" }];
  const gpus = inv.gpus;
  if (gpus.length === 0) return out;
  const sameKind = gpus.every((g) => g.name === gpus[0].name);
  const kind = sameKind ? gpus[0].name : "mixed GPUs";
  for (let n = 1; n <= gpus.length; n++) out.push({ sku: `gpu-${n}x`, name: `${n}× any GPU (${kind})` });
  for (const g of gpus) {
    const mem = g.memoryTotalMiB > 0 ? `, ${Math.round(g.memoryTotalMiB / 1024)} GiB` : "";
    const sim = g.simulated && !/simulated/i.test(g.name) ? ", simulated" : "";
    out.push({ sku: `gpu-${g.index}`, name: `GPU ${g.index} (${g.name}${mem}${sim})` });
  }
  return out;
}

/** "cpu" → no GPU; "gpu-2x" → any two; "gpu-1" → pinned to GPU 1; "gpu-0-1" → pinned to GPUs 0 and 1. */
export function parseHardware(sku: string): GpuSelection | null {
  if (sku === "cpu") return { gpus: 0, pinned: null };
  const any = /^gpu-([1-9]\d*)x$/.exec(sku);
  if (any) return { gpus: Number(any[1]), pinned: null };
  const pinned = /^gpu-(\d+(?:-\d+)*)$/.exec(sku);
  if (!pinned) return null;
  const indices = pinned[1].split("-").map(Number);
  if (new Set(indices).size !== indices.length) return null;
  return { gpus: indices.length, pinned: indices.sort((a, b) => a - b) };
}

/** The SKU naming a selection (the inverse of parseHardware). */
export function hardwareSku(sel: GpuSelection): string {
  if (sel.gpus === 0) return "cpu";
  return sel.pinned && sel.pinned.length > 0 ? `gpu-${sel.pinned.join("-")}` : `gpu-${sel.gpus}x`;
}
