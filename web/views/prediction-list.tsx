// Prediction history: newest first, filterable by model, status and source, paged with the API's
// cursors (the filters apply to the pages loaded so far). The Runs tab shows it for one model.
import { useEffect, useState } from "preact/hooks";
import { api, type PageJson, type PredictionJson } from "../lib/api.ts";
import { account } from "../lib/session.ts";
import { useStore } from "../lib/store.ts";
import { between, duration } from "../lib/time.ts";
import { Ago, Loading, Notice, phaseOf, StatusChip } from "./common.tsx";

const STATUSES = ["starting", "processing", "succeeded", "failed", "canceled"];

function summary(p: PredictionJson): string {
  const first = Object.entries(p.input).find(([, v]) => typeof v === "string" && v && !/^(https?:|data:)/.test(v));
  return first ? String(first[1]) : Object.keys(p.input).join(", ");
}

export function PredictionList({ model }: { model?: string }) {
  const [rows, setRows] = useState<PredictionJson[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  // A user token lists only its own runs: its empty list says so (the model's run count is everyone's).
  const own = useStore(account)?.role === "user";
  const q = new URLSearchParams(location.search);
  const [filter, setFilter] = useState({ model: model ?? q.get("model") ?? "", status: q.get("status") ?? "", source: q.get("source") ?? "" });

  async function load(url: string, append: boolean) {
    setLoading(true);
    try {
      const page = await api<PageJson<PredictionJson>>("GET", url);
      setRows((r) => (append ? [...r, ...page.results] : page.results));
      setNext(page.next);
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setLoading(false);
    }
  }
  useEffect(() => void load("/v1/predictions", false), []);
  const shown = rows.filter((p) => (!filter.model || p.model === filter.model) && (!filter.status || p.status === filter.status) && (!filter.source || p.source === filter.source));
  const models = [...new Set(rows.map((p) => p.model))].sort();
  const set = (k: keyof typeof filter, v: string) => {
    const f = { ...filter, [k]: v };
    setFilter(f);
    if (!model) {
      const u = new URLSearchParams(Object.entries(f).filter(([, x]) => x));
      history.replaceState(null, "", `${location.pathname}${u.size ? `?${u}` : ""}`);
    }
  };
  return (
    <div class="history">
      <div class="filters">
        {!model && (
          <label>
            <span>Model</span>
            <select value={filter.model} onChange={(e) => set("model", e.currentTarget.value)}>
              <option value="">All models</option>
              {[...new Set([...models, filter.model].filter(Boolean))].map((m) => (
                <option value={m}>{m}</option>
              ))}
            </select>
          </label>
        )}
        <label>
          <span>Status</span>
          <select value={filter.status} onChange={(e) => set("status", e.currentTarget.value)}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          <span>Source</span>
          <select value={filter.source} onChange={(e) => set("source", e.currentTarget.value)}>
            <option value="">Web and API</option>
            <option value="web">web</option>
            <option value="api">api</option>
          </select>
        </label>
        <button type="button" class="btn" onClick={() => void load("/v1/predictions", false)}>
          Refresh
        </button>
      </div>
      {error && <Notice>{error}</Notice>}
      {shown.length === 0 && !loading && <p class="muted empty">{rows.length ? "No predictions match these filters in the pages loaded." : own ? "None of your predictions yet (this list shows only yours). Run a model from its Playground." : "No predictions yet. Run a model from its Playground."}</p>}
      {shown.length > 0 && (
        <ul class="run-list">
          {shown.map((p) => (
            <li>
              <a href={`/p/${p.id}`} class="run-row" data-id={p.id}>
                <StatusChip phase={phaseOf(p)} />
                <span class="run-main">
                  <span class="run-model">{p.model}</span>
                  <span class="muted ellipsis run-summary">{summary(p)}</span>
                </span>
                <span class="run-meta muted tabular">
                  <span class="mono">{p.id.slice(0, 8)}</span>
                  <span>{duration(between(p.created_at, p.completed_at))}</span>
                  <span>{p.source ?? "api"}</span>
                  <Ago iso={p.created_at} />
                </span>
              </a>
            </li>
          ))}
        </ul>
      )}
      {loading && <Loading />}
      {next && !loading && (
        <button type="button" class="btn load-more" onClick={() => void load(next, true)}>
          Load older predictions
        </button>
      )}
    </div>
  );
}
