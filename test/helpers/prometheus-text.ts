// A strict reader of Prometheus' text exposition format (0.0.4), for tests: every line must be a
// HELP/TYPE comment or a well-formed sample of a declared metric, and histograms must be coherent.
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export interface Family {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function parseLabels(text: string, line: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf("=", i);
    if (eq < 0) throw new Error(`bad labels in: ${line}`);
    const key = text.slice(i, eq).trim();
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(key)) throw new Error(`bad label name "${key}" in: ${line}`);
    if (text[eq + 1] !== '"') throw new Error(`label value not quoted in: ${line}`);
    let j = eq + 2;
    let value = "";
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === "\\") {
        const n = text[++j];
        value += n === "n" ? "\n" : n;
      } else value += text[j];
    }
    if (text[j] !== '"') throw new Error(`unterminated label value in: ${line}`);
    if (key in out) throw new Error(`duplicate label ${key} in: ${line}`);
    out[key] = value;
    i = j + 1;
    if (text[i] === ",") i++;
  }
  return out;
}

function parseValue(v: string, line: string): number {
  if (v === "+Inf") return Infinity;
  if (v === "-Inf") return -Infinity;
  if (v === "NaN") return NaN;
  const n = Number(v);
  if (v === "" || Number.isNaN(n)) throw new Error(`bad value in: ${line}`);
  return n;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  const families = new Map<string, Family>();
  const familyOf = (sample: string) => {
    if (families.has(sample)) return families.get(sample)!;
    const base = sample.replace(/_(bucket|sum|count)$/, "");
    const f = families.get(base);
    if (f && (f.type === "histogram" || f.type === "summary")) return f;
    throw new Error(`sample ${sample} has no TYPE line before it`);
  };
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) continue; // other comments are allowed
      if (!NAME.test(m[2])) throw new Error(`bad metric name: ${line}`);
      const f = families.get(m[2]) ?? { name: m[2], type: "untyped" as const, help: "", samples: [] };
      if (m[1] === "HELP") f.help = m[3];
      else {
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(m[3])) throw new Error(`bad type: ${line}`);
        if (f.samples.length) throw new Error(`TYPE after samples: ${line}`);
        f.type = m[3] as Family["type"];
      }
      families.set(m[2], f);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const f = familyOf(m[1]);
    f.samples.push({ name: m[1], labels: m[3] ? parseLabels(m[3], line) : {}, value: parseValue(m[4], line) });
  }
  for (const f of families.values()) {
    if (f.type === "counter") for (const s of f.samples) if (!(s.value >= 0)) throw new Error(`counter ${f.name} is negative`);
    if (f.type !== "histogram") continue;
    // Per label set: buckets ascend in le and count, +Inf equals _count.
    const series = new Map<string, Sample[]>();
    for (const s of f.samples.filter((s) => s.name === `${f.name}_bucket`)) {
      const { le, ...rest } = s.labels;
      if (le === undefined) throw new Error(`bucket without le in ${f.name}`);
      const k = JSON.stringify(rest);
      series.set(k, [...(series.get(k) ?? []), s]);
    }
    for (const [k, buckets] of series) {
      let prevLe = -Infinity;
      let prevCount = 0;
      for (const b of buckets) {
        const le = parseValue(b.labels.le, b.labels.le);
        if (le <= prevLe || b.value < prevCount) throw new Error(`${f.name}${k}: buckets not cumulative`);
        prevLe = le;
        prevCount = b.value;
      }
      const count = f.samples.find((s) => s.name === `${f.name}_count` && JSON.stringify(s.labels) === k);
      if (prevLe !== Infinity || !count || count.value !== prevCount) throw new Error(`${f.name}${k}: +Inf bucket and _count disagree`);
    }
  }
  return families;
}

/** The value of one sample, matching the labels given (others may be present). */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const base = families.get(name) ?? families.get(name.replace(/_(bucket|sum|count)$/, ""));
  const s = base?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return s?.value ?? 0;
}
