// Progress displays: a docker-pull-like one (a line per layer plus a total with speed and ETA) and a
// single byte bar (export, import). On a terminal they redraw in place; otherwise they print plain
// lines when something changes (a layer's status, or every 10% of a transfer).

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  for (const [unit, size] of [["GB", 1e9], ["MB", 1e6], ["kB", 1e3]] as const) if (n >= size) return `${(n / size).toFixed(n / size >= 100 ? 0 : 1)} ${unit}`;
  return `${n} B`;
}

export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--";
  const s = Math.ceil(seconds);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

function bar(current: number, total: number, width = 30): string {
  if (!total) return " ".repeat(width + 2);
  const filled = Math.min(width, Math.floor((current / total) * width));
  return `[${"=".repeat(Math.max(0, filled - 1))}${filled ? ">" : ""}${" ".repeat(width - filled)}]`;
}

/** Bytes per second over the last few seconds (smoothed), for speed and ETA. */
class Rate {
  private samples: [number, number][] = [];
  add(bytes: number, now = Date.now()) {
    this.samples.push([now, bytes]);
    while (this.samples.length > 2 && now - this.samples[0][0] > 5000) this.samples.shift();
  }
  perSecond(): number {
    if (this.samples.length < 2) return 0;
    const [t0, b0] = this.samples[0];
    const [t1, b1] = this.samples[this.samples.length - 1];
    return t1 > t0 ? ((b1 - b0) * 1000) / (t1 - t0) : 0;
  }
}

export interface Terminal {
  write(s: string): void;
  tty: boolean;
  /** width: redrawn lines are cut to it, since a wrapped line would break moving the cursor back up */
  columns?: number;
  /** height: the cursor cannot move above the top, so a display taller than this keeps its last lines */
  rows?: number;
}

const fit = (term: Terminal, line: string) => (term.columns && line.length >= term.columns ? line.slice(0, term.columns - 1) : line);

interface Layer {
  id: string;
  status: string;
  current: number;
  total: number;
  /** counted in the totals (it is downloaded, not reused from the local engine) */
  counted: boolean;
}

export interface PullEvent {
  id?: string;
  status: string;
  current?: number;
  total?: number;
}

export class PullDisplay {
  private layers = new Map<string, Layer>();
  private notes: string[] = [];
  private drawn = 0;
  private lastDraw = 0;
  private rate = new Rate();

  constructor(private term: Terminal) {}

  update(e: PullEvent): void {
    if (!e.id || /^(Pulling from|Digest|Status)/.test(e.status) || e.id === "latest") {
      this.note(e.id && !/^(Pulling from)/.test(e.status) ? e.status : `${e.id ? `${e.id}: ` : ""}${e.status}`);
      return;
    }
    let l = this.layers.get(e.id);
    const fresh = !l;
    if (!l) this.layers.set(e.id, (l = { id: e.id, status: "", current: 0, total: 0, counted: false }));
    const changed = l.status !== e.status;
    l.status = e.status;
    if (e.status === "Downloading") {
      l.counted = true;
      if (e.total) l.total = e.total;
      if (e.current !== undefined) l.current = e.current;
    } else if (/Download complete|Verifying Checksum|Pull complete|Extracting/.test(e.status) && l.counted) l.current = l.total;
    this.rate.add(this.totals().current);
    if (this.term.tty) this.redraw(false);
    else if (changed || fresh) this.term.write(`${l.id}: ${l.status}\n`);
  }

  private note(s: string) {
    if (!s || this.notes.includes(s)) return;
    this.notes.push(s);
    if (this.term.tty) this.redraw(true);
    else this.term.write(s + "\n");
  }

  totals(): { current: number; total: number } {
    let current = 0;
    let total = 0;
    for (const l of this.layers.values())
      if (l.counted) {
        current += l.current;
        total += l.total;
      }
    return { current, total };
  }

  private totalLine(): string {
    const { current, total } = this.totals();
    const speed = this.rate.perSecond();
    return `Total: ${formatBytes(current)} / ${formatBytes(total)}   ${formatBytes(Math.round(speed))}/s   ETA ${current >= total && total ? "0s" : formatEta((total - current) / speed)}`;
  }

  private redraw(force: boolean) {
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    let lines = [
      ...this.notes,
      ...[...this.layers.values()].map((l) => `${l.id}: ${l.status.padEnd(18)}${l.status === "Downloading" ? ` ${bar(l.current, l.total)} ${formatBytes(l.current)}/${formatBytes(l.total)}` : ""}`),
      this.totalLine(),
    ];
    if (this.term.rows && lines.length >= this.term.rows) lines = lines.slice(lines.length - (this.term.rows - 1));
    // Up to the first line drawn last time, then every line again, each cleared first.
    let out = this.drawn ? `\x1b[${this.drawn}A` : "";
    for (const line of lines) out += `\r\x1b[2K${fit(this.term, line)}\n`;
    this.term.write(out);
    this.drawn = lines.length;
  }

  /** The final state (a terminal gets one last redraw; plain output a total line). */
  finish(): void {
    if (this.term.tty) this.redraw(true);
    else this.term.write(this.totalLine() + "\n");
  }
}

/** One transfer of known (or estimated) size: "Exporting  [====>   ] 12 MB / 40 MB  3 MB/s  ETA 9s". */
export class ByteProgress {
  private done = 0;
  private rate = new Rate();
  private lastDraw = 0;
  private lastDecile = -1;

  constructor(private term: Terminal, private label: string, private total: number) {}

  add(n: number): void {
    this.done += n;
    this.rate.add(this.done);
    if (this.term.tty) {
      const now = Date.now();
      if (now - this.lastDraw >= 100) {
        this.lastDraw = now;
        this.term.write(`\r\x1b[2K${fit(this.term, this.line())}`);
      }
    } else {
      const decile = this.total ? Math.floor((this.done / this.total) * 10) : -1;
      if (decile > this.lastDecile && decile < 10) {
        this.lastDecile = decile;
        this.term.write(this.line() + "\n");
      }
    }
  }

  private line(): string {
    const speed = this.rate.perSecond();
    const total = Math.max(this.total, this.done);
    return `${this.label} ${bar(this.done, total)} ${formatBytes(this.done)} / ${formatBytes(total)}   ${formatBytes(Math.round(speed))}/s   ETA ${formatEta((total - this.done) / speed)}`;
  }

  finish(): void {
    this.total = this.done;
    this.term.write(this.term.tty ? `\r\x1b[2K${fit(this.term, this.line())}\n` : this.line() + "\n");
  }

  get bytes(): number {
    return this.done;
  }
}
