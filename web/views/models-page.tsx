// The model list: a card per model with its cover (or one generated from its name), run count,
// last run and whether a container is warm; search and sort on the page.
import { useEffect, useState } from "preact/hooks";
import { api, type ModelJson, type PageJson, type PredictionJson } from "../lib/api.ts";
import { account, isAdmin } from "../lib/session.ts";
import { useStore } from "../lib/store.ts";
import { Ago, Loading, Notice, Page } from "./common.tsx";

interface InstanceLite {
  model: string;
  state: string;
}

function cover(name: string): string {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `linear-gradient(135deg, hsl(${h % 360} 70% 55%), hsl(${(h >> 9) % 360} 70% 45%))`;
}

type Sort = "name" | "runs" | "recent";

export function ModelsPage() {
  const [models, setModels] = useState<ModelJson[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [lastRun, setLastRun] = useState<Record<string, string>>({});
  // Which models have a container up: null when unknown (the instances list is for admins only).
  const [warm, setWarm] = useState<Set<string> | null>(null);
  const [query, setQueryText] = useState("");
  const [sort, setSort] = useState<Sort>("recent");
  const admin = isAdmin(useStore(account));
  useEffect(() => {
    document.title = "Models · modelhub";
    // The cards appear once both lists are in: sorted by last run, they would otherwise reorder under
    // the reader's pointer when the predictions answer second.
    const runs = api<PageJson<PredictionJson>>("GET", "/v1/predictions").then(
      (p) => {
        const last: Record<string, string> = {};
        for (const r of p.results) if (!last[r.model]) last[r.model] = r.created_at;
        return last;
      },
      () => ({}),
    );
    api<PageJson<ModelJson>>("GET", "/v1/models").then(
      async (p) => {
        setLastRun(await runs);
        setModels(p.results);
      },
      (e) => setError(e.message),
    );
  }, []);
  useEffect(() => {
    if (admin)
      api<{ instances: InstanceLite[] }>("GET", "/v1/instances").then((r) => setWarm(new Set(r.instances.filter((i) => i.state === "ready" || i.state === "busy").map((i) => i.model))), () => {});
  }, [admin]);
  const q = query.trim().toLowerCase();
  const shown = (models ?? [])
    .filter((m) => !q || `${m.owner}/${m.name} ${m.description ?? ""}`.toLowerCase().includes(q))
    .sort((a, b) =>
      sort === "name" ? `${a.owner}/${a.name}`.localeCompare(`${b.owner}/${b.name}`) : sort === "runs" ? b.run_count - a.run_count : (lastRun[`${b.owner}/${b.name}`] ?? b.created_at).localeCompare(lastRun[`${a.owner}/${a.name}`] ?? a.created_at),
    );
  return (
    <Page
      title="Models"
      actions={
        admin && (
          <a class="btn btn-primary" href="/models/new">
            Add a model
          </a>
        )
      }
    >
      <div class="filters">
        <label class="grow">
          <span>Search</span>
          <input type="search" placeholder="Name or description" value={query} onInput={(e) => setQueryText(e.currentTarget.value)} />
        </label>
        <label>
          <span>Sort</span>
          <select value={sort} onChange={(e) => setSort(e.currentTarget.value as Sort)}>
            <option value="recent">Recently run</option>
            <option value="runs">Most runs</option>
            <option value="name">Name</option>
          </select>
        </label>
      </div>
      {error && <Notice>Could not load models: {error}</Notice>}
      {!models && !error && <Loading />}
      {models && models.length === 0 && (
        <div class="empty-state">
          <h2>No models yet</h2>
          <p class="muted">
            Add a Cog image {admin ? <a href="/models/new">on the Add a model page</a> : "(an admin can)"} or with <code>modelhub models add IMAGE --name owner/name</code>.
          </p>
        </div>
      )}
      {models && models.length > 0 && shown.length === 0 && <p class="muted">No model matches “{query}”.</p>}
      <ul class="cards">
        {shown.map((m) => {
          const full = `${m.owner}/${m.name}`;
          return (
            <li class="card model-card" key={full}>
              <div class="cover" style={m.cover_image_url ? undefined : { background: cover(full) }} aria-hidden="true">
                {m.cover_image_url && <img src={m.cover_image_url} alt="" loading="lazy" />}
              </div>
              <div class="card-body">
                <a class="card-title stretched" href={`/models/${m.owner}/${m.name}`}>
                  {full}
                </a>
                <p class="muted desc clamp">{m.description || "No description."}</p>
                <p class="card-meta muted small">
                  <span>
                    {m.run_count} {m.run_count === 1 ? "run" : "runs"}
                  </span>
                  <span>
                    {/* A user's prediction list holds only their own runs. */}
                    {admin ? "last run" : "your last run"} {lastRun[full] ? <Ago iso={lastRun[full]} /> : "never"}
                  </span>
                  {warm && <span class={warm.has(full) ? "warm" : "cold"}>{warm.has(full) ? "● warm" : "○ cold"}</span>}
                  {m.visibility === "private" && <span class="tag">Private</span>}
                </p>
              </div>
            </li>
          );
        })}
      </ul>
    </Page>
  );
}
