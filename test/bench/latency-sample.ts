// What the benchmarks share: a percentile of a sample, and N calls spread over C concurrent
// workers timed one by one (latency percentiles and throughput of the whole run).

/** The p-th percentile (0–100) of xs, nearest rank. */
export const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

export interface Result {
  p50: number;
  p99: number;
  rps: number;
}

/** `total` calls of `one` spread over `conc` workers. */
export async function measure(conc: number, total: number, one: () => Promise<void>): Promise<Result> {
  const lat: number[] = [];
  let left = total;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (left-- > 0) {
        const t = performance.now();
        await one();
        lat.push(performance.now() - t);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  return { p50: pct(lat, 50), p99: pct(lat, 99), rps: lat.length / secs };
}
