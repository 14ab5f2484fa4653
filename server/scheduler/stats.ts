// Measured numbers per version: boot time (start → READY), predict time, peak memory and GPU memory.
// They feed queue estimates and `modelhub ps`; the composition root persists them across restarts.

export interface VersionStats {
  versionId: string;
  boots: number;
  bootMsTotal: number;
  lastBootMs: number | null;
  predictions: number;
  predictMsTotal: number;
  peakMemoryBytes: number | null;
  peakGpuMemoryMiB: number | null;
}

// Until a version has been measured, estimates use these; the API says when a number is a guess.
export const GUESS_BOOT_MS = 30_000;
export const GUESS_PREDICT_MS = 10_000;

export class StatsBook {
  private byVersion = new Map<string, VersionStats>();

  constructor(
    private onChange: (s: VersionStats) => void = () => {},
    /** told of each boot as it is measured (metrics keep a histogram of them) */
    private onBoot: (versionId: string, ms: number) => void = () => {},
  ) {}

  seed(list: readonly VersionStats[]): void {
    for (const s of list) this.byVersion.set(s.versionId, { ...s });
  }

  get(versionId: string): VersionStats | undefined {
    return this.byVersion.get(versionId);
  }

  all(): VersionStats[] {
    return [...this.byVersion.values()];
  }

  avgBootMs(versionId: string): number | null {
    const s = this.byVersion.get(versionId);
    return s && s.boots > 0 ? s.bootMsTotal / s.boots : null;
  }

  avgPredictMs(versionId: string): number | null {
    const s = this.byVersion.get(versionId);
    return s && s.predictions > 0 ? s.predictMsTotal / s.predictions : null;
  }

  recordBoot(versionId: string, ms: number): void {
    this.onBoot(versionId, ms);
    this.update(versionId, (s) => {
      s.boots++;
      s.bootMsTotal += ms;
      s.lastBootMs = ms;
    });
  }

  recordPredict(versionId: string, ms: number): void {
    this.update(versionId, (s) => {
      s.predictions++;
      s.predictMsTotal += ms;
    });
  }

  recordMemory(versionId: string, bytes: number): void {
    const s = this.byVersion.get(versionId);
    if (s && s.peakMemoryBytes !== null && s.peakMemoryBytes >= bytes) return;
    this.update(versionId, (x) => void (x.peakMemoryBytes = bytes));
  }

  recordGpuMemory(versionId: string, mib: number): void {
    const s = this.byVersion.get(versionId);
    if (s && s.peakGpuMemoryMiB !== null && s.peakGpuMemoryMiB >= mib) return;
    this.update(versionId, (x) => void (x.peakGpuMemoryMiB = mib));
  }

  private update(versionId: string, fn: (s: VersionStats) => void): void {
    let s = this.byVersion.get(versionId);
    if (!s) {
      s = { versionId, boots: 0, bootMsTotal: 0, lastBootMs: null, predictions: 0, predictMsTotal: 0, peakMemoryBytes: null, peakGpuMemoryMiB: null };
      this.byVersion.set(versionId, s);
    }
    fn(s);
    this.onChange({ ...s });
  }
}
