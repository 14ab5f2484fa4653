// A model's page: header and tabs (Playground, API, Runs, Versions, README, Settings); the tab is
// in the URL (?tab=) so it survives a reload.
import { useEffect, useMemo, useState } from "preact/hooks";
import { type OpenApiDocument } from "../../server/contract/cog-schema.ts";
import { orderedProperties } from "../../server/contract/input-fields.ts";
import { api, authHeaders, type ModelJson, type PageJson, type VersionJson } from "../lib/api.ts";
import { formFor } from "../lib/form-store.ts";
import { account, isAdmin } from "../lib/session.ts";
import { useStore } from "../lib/store.ts";
import { ApiTab } from "./api-tab.tsx";
import { Ago, Loading, Notice, Tabs } from "./common.tsx";
import { NotFound } from "./not-found.tsx";
import { Playground } from "./playground.tsx";
import { PredictionList } from "./prediction-list.tsx";
import { SettingsTab } from "./settings-tab.tsx";

const TAB_LABELS = { playground: "Playground", api: "API", runs: "Runs", versions: "Versions", readme: "README", settings: "Settings" } as const;
type Tab = keyof typeof TAB_LABELS;

function Versions({ model }: { model: ModelJson }) {
  const [page, setPage] = useState<PageJson<VersionJson> | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<PageJson<VersionJson>>("GET", `/v1/models/${model.owner}/${model.name}/versions`).then(setPage, (e) => setError(e.message));
  }, [model.owner, model.name]);
  if (error) return <Notice>{error}</Notice>;
  if (!page) return <Loading />;
  return (
    <div class="table-wrap">
      <table class="table table-cards">
        <thead>
          <tr>
            <th>Version</th>
            <th>Image</th>
            <th>Cog</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {page.results.map((v) => (
            <tr>
              <td class="mono cell-main" title={v.id}>
                {v.id.slice(0, 12)}
                {v.id === model.latest_version?.id && <span class="tag">latest</span>}
              </td>
              <td class="mono ellipsis" data-label="Image">{v.image ?? "—"}</td>
              <td data-label="Cog">{v.cog_version}</td>
              <td data-label="Created">
                <Ago iso={v.created_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Readme({ model }: { model: ModelJson }) {
  const [text, setText] = useState<string | null>(null);
  useEffect(() => {
    fetch(`/v1/models/${model.owner}/${model.name}/readme`, { headers: authHeaders() }).then((r) => (r.ok ? r.text() : "")).then(setText, () => setText(""));
  }, [model.owner, model.name]);
  if (text === null) return <Loading />;
  // Shown as text: a README is the model author's, and nothing in it should run in this page.
  return text.trim() ? <pre class="readme">{text}</pre> : <p class="muted">This model doesn't have a readme.</p>;
}

export function ModelPage({ owner, name, tab }: { owner: string; name: string; tab: string }) {
  const [model, setModel] = useState<ModelJson | null>(null);
  const [error, setError] = useState<{ status: number; message: string } | null>(null);
  const acct = useStore(account);
  const reload = () => api<ModelJson>("GET", `/v1/models/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`).then(setModel, (e) => setError({ status: e.status, message: e.message }));
  useEffect(() => void reload(), [owner, name]);
  const version = model?.latest_version;
  const doc = version?.openapi_schema as OpenApiDocument | undefined;
  const fields = useMemo(() => (doc ? orderedProperties(doc) : []), [doc]);
  if (error) return error.status === 404 ? <NotFound what={`The model ${owner}/${name}`} /> : <Notice>{error.message}</Notice>;
  if (!model) return <Loading what={`Loading ${owner}/${name}`} />;
  const form = version && doc ? formFor(`${owner}/${name}`, version.id, doc, fields) : null;
  const tabs = (Object.keys(TAB_LABELS) as Tab[]).filter((t) => t !== "settings" || isAdmin(acct)).map((id) => ({ id, label: TAB_LABELS[id], href: `/models/${owner}/${name}${id === "playground" ? "" : `?tab=${id}`}` }));
  const current = (tabs.some((t) => t.id === tab) ? tab : "playground") as Tab;
  return (
    <>
      <div class="model-head">
        <div class="model-title">
          <h1>
            <span class="muted">{model.owner} /</span> {model.name}
          </h1>
          <span class={`tag tag-${model.visibility}`}>{model.visibility === "private" ? "Private" : "Public"}</span>
        </div>
        {model.description && <p class="lead">{model.description}</p>}
        <p class="meta muted">
          {model.run_count} {model.run_count === 1 ? "run" : "runs"}
          {version && (
            <>
              {" · "}version <span class="mono">{version.id.slice(0, 12)}</span> · cog {version.cog_version} · updated <Ago iso={version.created_at} />
            </>
          )}
          {model.hardware && ` · ${model.hardware}`}
        </p>
        {version?.import?.status === "importing" && <Notice kind="info">Importing the pushed image into Docker{version.import.progress ? ` (${version.import.progress})` : ""}; predictions wait in the queue until it is there.</Notice>}
        {version?.import?.status === "failed" && <Notice>The pushed image could not be imported into Docker: {version.import.error}</Notice>}
      </div>
      <Tabs label="Model" tabs={tabs} current={current} />
      <div class="tab-panel" role="tabpanel" aria-labelledby={`tab-${current}`}>
        {!version || !form || !doc ? (
          current === "settings" ? (
            <SettingsTab model={model} onSaved={setModel} />
          ) : (
            <p class="muted">This model has no version yet.{isAdmin(acct) && <> Add one from a Cog image on the <a href="/models/new">Add a model</a> page.</>}</p>
          )
        ) : current === "playground" ? (
          <Playground model={model} form={form} doc={doc} onRunEnded={() => void reload()} />
        ) : current === "api" ? (
          <ApiTab model={model} form={form} />
        ) : current === "runs" ? (
          <PredictionList model={`${owner}/${name}`} />
        ) : current === "versions" ? (
          <Versions model={model} />
        ) : current === "readme" ? (
          <Readme model={model} />
        ) : (
          <SettingsTab model={model} onSaved={setModel} />
        )}
      </div>
    </>
  );
}

