// A prediction's page (its urls.web): status, output, inputs, logs, timings, and Tweak it, Run again,
// Copy link and Copy as curl. Live while it runs (SSE for output and logs).
import { useEffect, useState } from "preact/hooks";
import { outputSchema, type OpenApiDocument } from "../../server/contract/cog-schema.ts";
import { orderedProperties } from "../../server/contract/input-fields.ts";
import { api, type ModelJson, type PredictionJson, type VersionJson } from "../lib/api.ts";
import { navigate } from "../lib/router.ts";
import { watchRun } from "../lib/run-store.ts";
import { curlSnippet } from "../lib/snippets.ts";
import { useStore } from "../lib/store.ts";
import { between, duration } from "../lib/time.ts";
import { serverOrigin } from "./api-tab.tsx";
import { Ago, CopyButton, Notice } from "./common.tsx";
import { NotFound } from "./not-found.tsx";
import { RunView } from "./run-view.tsx";

function InputList({ p, doc }: { p: PredictionJson; doc: OpenApiDocument | null }) {
  const fields = doc ? orderedProperties(doc) : [];
  const secret = new Set(fields.filter((f) => f.widget === "secret").map((f) => f.name));
  const order = [...fields.map((f) => f.name).filter((n) => n in p.input), ...Object.keys(p.input).filter((k) => !fields.some((f) => f.name === k))];
  return (
    <dl class="kv">
      {order.map((k) => {
        const v = p.input[k];
        // An upload's /v1/files URL needs a token, so it is not a link a browser could follow.
        return (
          <>
            <dt class="mono">{k}</dt>
            <dd>{secret.has(k) ? "••••••" : typeof v === "string" ? (/\/v1\/files\//.test(v) ? <span class="mono">uploaded file {v.split("/").pop()}</span> : /^https?:\/\//.test(v) ? <a href={v}>{v}</a> : v) : JSON.stringify(v)}</dd>
          </>
        );
      })}
    </dl>
  );
}

export function PredictionPage({ id }: { id: string }) {
  const watch = watchRun(id);
  const s = useStore(watch.state);
  const p = s.prediction;
  const [version, setVersion] = useState<VersionJson | null>(null);
  const [rerun, setRerun] = useState<string | null>(null);
  useEffect(() => {
    if (!p) return;
    const [owner, name] = p.model.split("/");
    api<VersionJson>("GET", `/v1/models/${owner}/${name}/versions/${p.version}`).then(setVersion, () => setVersion(null));
  }, [p?.version]);
  if (!p) {
    if (s.problem && /not found/i.test(s.problem)) return <NotFound what={`The prediction ${id}`} />;
    return s.problem ? <Notice>{s.problem}</Notice> : <p class="muted">Loading…</p>;
  }
  const doc = (version?.openapi_schema as OpenApiDocument | undefined) ?? null;
  const [owner, name] = p.model.split("/");
  const link = p.urls.web ?? `${location.origin}/p/${p.id}`;
  const secrets = doc ? orderedProperties(doc).filter((f) => f.widget === "secret").map((f) => f.name) : [];
  const again = async () => {
    try {
      const input = Object.fromEntries(Object.entries(p.input).filter(([k]) => !secrets.includes(k)));
      const n = await api<PredictionJson>("POST", "/v1/predictions", { version: p.version, input }, { "x-modelhub-source": "web" });
      watchRun(n.id, n);
      navigate(`/p/${n.id}`);
    } catch (e) {
      setRerun((e as Error).message);
    }
  };
  return (
    <>
      <div class="page-head">
        <div>
          <p class="crumbs muted">
            <a href={`/models/${owner}/${name}`}>{p.model}</a> / prediction
          </p>
          <h1 class="mono h-id">{p.id}</h1>
          <p class="muted meta">
            Created <Ago iso={p.created_at} /> · source {p.source ?? "api"} · version <span class="mono">{p.version.slice(0, 12)}</span>
          </p>
        </div>
        <div class="actions actions-grid">
          <a class="btn" href={`/models/${owner}/${name}?tweak=${p.id}`}>
            Tweak it
          </a>
          <button type="button" class="btn" onClick={() => void again()}>
            Run again
          </button>
          <CopyButton text={link} label="Copy link" />
          <CopyButton text={() => curlSnippet({ origin: serverOrigin(p.urls.get), model: p.model, version: p.version, input: p.input, secrets })} label="Copy as curl" />
        </div>
      </div>
      {rerun && <Notice>{rerun}</Notice>}
      <div class="prediction-grid">
        <section class="pane" aria-labelledby="out-h">
          <h2 id="out-h">Output</h2>
          <RunView watch={watch} outputSchema={doc ? outputSchema(doc) : undefined} title={`${p.model} prediction · modelhub`} />
        </section>
        <section class="pane" aria-labelledby="in-h">
          <h2 id="in-h">Input</h2>
          <InputList p={p} doc={doc} />
          <h2>Timings</h2>
          <dl class="kv tabular">
            <dt>Created</dt>
            <dd>{new Date(p.created_at).toLocaleString()}</dd>
            <dt>Waited</dt>
            <dd>{duration(between(p.created_at, p.started_at))}</dd>
            <dt>Ran</dt>
            <dd>{duration(p.metrics?.predict_time !== undefined ? p.metrics.predict_time * 1000 : between(p.started_at, p.completed_at))}</dd>
            <dt>Total</dt>
            <dd>{duration(between(p.created_at, p.completed_at))}</dd>
            {Object.entries(p.metrics ?? {})
              .filter(([k]) => k !== "predict_time" && k !== "total_time") // both shown above
              .map(([k, v]) => (
                <>
                  <dt class="mono">{k}</dt>
                  <dd>{k.endsWith("_time") ? duration(v * 1000) : String(v)}</dd>
                </>
              ))}
          </dl>
        </section>
      </div>
    </>
  );
}
