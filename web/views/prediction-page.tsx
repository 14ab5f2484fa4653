// A prediction's page (its urls.web): status, output (images shown, files linked), logs; it follows
// the prediction until it ends.
import { useEffect, useState } from "preact/hooks";
import { api, TERMINAL, type PredictionJson } from "../api.ts";

function Output({ value }: { value: unknown }) {
  if (typeof value === "string" && /^(https?:|data:)/.test(value)) {
    if (/\.(png|jpe?g|gif|webp)(\?|$)|^data:image\//i.test(value)) return <img src={value} alt="output" class="output-image" />;
    return <a href={value}>{value.startsWith("data:") ? "download" : value}</a>;
  }
  if (Array.isArray(value) && value.every((v) => typeof v === "string" && !/^(https?:|data:)/.test(v))) return <pre>{value.join("")}</pre>;
  if (Array.isArray(value)) return <>{value.map((v, i) => <div key={i}><Output value={v} /></div>)}</>;
  if (typeof value === "string") return <pre>{value}</pre>;
  return <pre>{JSON.stringify(value, null, 2)}</pre>;
}

export function PredictionPage({ id }: { id: string }) {
  const [p, setP] = useState<PredictionJson | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stop = false;
    const load = async () => {
      try {
        const next = await api<PredictionJson>("GET", `/v1/predictions/${id}`);
        setP(next);
        if (!stop && !TERMINAL.has(next.status)) setTimeout(load, 500);
      } catch (e) {
        setError((e as Error).message);
      }
    };
    void load();
    return () => void (stop = true);
  }, [id]);
  if (error) return <p role="alert">{error}</p>;
  if (!p) return <p class="muted">Loading…</p>;
  const [owner, name] = p.model.split("/");
  return (
    <>
      <h2>
        <a href={`/models/${owner}/${name}`}>{p.model}</a> · <span class={`status status-${p.status}`}>{p.status}</span>
      </h2>
      <p class="muted">
        <code>{p.id}</code> · {new Date(p.created_at).toLocaleString()}
        {p.metrics?.predict_time !== undefined && ` · ran ${p.metrics.predict_time.toFixed(2)} s`}
        {p.queue && ` · position ${p.queue.position} in the queue`}
      </p>
      {p.error && <p role="alert">{p.error}</p>}
      {p.output !== null && p.output !== undefined && (
        <section>
          <h3>Output</h3>
          <Output value={p.output} />
        </section>
      )}
      <section>
        <h3>Input</h3>
        <pre>{JSON.stringify(p.input, null, 2)}</pre>
      </section>
      {p.logs && (
        <section>
          <h3>Logs</h3>
          <pre class="logs">{p.logs}</pre>
        </section>
      )}
    </>
  );
}
