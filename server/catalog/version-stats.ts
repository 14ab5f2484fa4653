// SQL for measured per-version numbers (boot time, predict time, peak memory), so estimates survive restarts.
import type { Db } from "../db/database.ts";
import type { VersionStats } from "../scheduler/stats.ts";

interface Row {
  version_id: string;
  boots: number;
  boot_ms_total: number;
  last_boot_ms: number | null;
  predictions: number;
  predict_ms_total: number;
  peak_memory_bytes: number | null;
  peak_gpu_memory_mib: number | null;
}

export class VersionStatsStore {
  constructor(private db: Db) {}

  load(): VersionStats[] {
    return (this.db.query("SELECT * FROM version_stats").all() as Row[]).map((r) => ({
      versionId: r.version_id,
      boots: r.boots,
      bootMsTotal: r.boot_ms_total,
      lastBootMs: r.last_boot_ms,
      predictions: r.predictions,
      predictMsTotal: r.predict_ms_total,
      peakMemoryBytes: r.peak_memory_bytes,
      peakGpuMemoryMiB: r.peak_gpu_memory_mib,
    }));
  }

  save(s: VersionStats): void {
    // INSERT ... SELECT skips versions deleted meanwhile instead of failing the foreign key.
    this.db
      .query(
        `INSERT INTO version_stats (version_id, boots, boot_ms_total, last_boot_ms, predictions, predict_ms_total, peak_memory_bytes, peak_gpu_memory_mib, updated_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 WHERE EXISTS (SELECT 1 FROM versions WHERE id = ?1)
         ON CONFLICT (version_id) DO UPDATE SET boots = excluded.boots, boot_ms_total = excluded.boot_ms_total, last_boot_ms = excluded.last_boot_ms,
           predictions = excluded.predictions, predict_ms_total = excluded.predict_ms_total, peak_memory_bytes = excluded.peak_memory_bytes,
           peak_gpu_memory_mib = excluded.peak_gpu_memory_mib, updated_at = excluded.updated_at`,
      )
      .run(s.versionId, s.boots, s.bootMsTotal, s.lastBootMs, s.predictions, s.predictMsTotal, s.peakMemoryBytes, s.peakGpuMemoryMiB, new Date().toISOString());
  }
}
