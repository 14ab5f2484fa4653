// Talking to a Cog container straight, without modelhub, for the baselines of the benchmarks:
// wait for READY, and one sync prediction of the `hello` fixture.
const INPUT = JSON.stringify({ input: { text: "bench" } });

/** Resolves once `{base}/health-check` says READY (polled every 10 ms: the start time is what is measured). */
export async function ready(base: string): Promise<void> {
  for (;;) {
    try {
      const r = await fetch(`${base}/health-check`, { signal: AbortSignal.timeout(1000) });
      if (r.ok && ((await r.json()) as { status: string }).status === "READY") return;
    } catch {}
    await Bun.sleep(10);
  }
}

/** One sync prediction; throws unless the container answers 200. */
export async function predict(base: string): Promise<void> {
  const r = await fetch(`${base}/predictions`, { method: "POST", headers: { "content-type": "application/json" }, body: INPUT });
  if (r.status !== 200) throw new Error(`prediction: HTTP ${r.status} ${await r.text()}`);
  await r.arrayBuffer();
}
