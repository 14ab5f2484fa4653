// A model's page: a form generated from its version's input schema (the same pure module the server
// validates with), submitted as a prediction; the result opens on the prediction's page.
import { useEffect, useState } from "preact/hooks";
import type { OpenApiDocument } from "../../server/contract/cog-schema.ts";
import { coerceFormValues, type FormValue } from "../../server/contract/form-values.ts";
import { orderedProperties, type InputField } from "../../server/contract/input-fields.ts";
import { validateInput } from "../../server/contract/input-validation.ts";
import { api, HttpError, type ModelJson, type PredictionJson } from "../api.ts";

function Field({ f, onInput }: { f: InputField; onInput: (v: FormValue) => void }) {
  const common = { id: f.name, name: f.name };
  const initial = f.hasDefault && f.default !== null && f.default !== undefined ? String(f.default) : "";
  let control;
  if (f.widget === "boolean") control = <input {...common} type="checkbox" defaultChecked={f.default === true} onChange={(e) => onInput((e.target as HTMLInputElement).checked)} />;
  else if (f.widget === "select" && f.enum)
    control = (
      <select {...common} defaultValue={initial} onChange={(e) => onInput((e.target as HTMLSelectElement).value)}>
        {!f.hasDefault && <option value="">—</option>}
        {f.enum.map((v) => <option value={String(v)}>{String(v)}</option>)}
      </select>
    );
  else if (f.widget === "textarea") control = <textarea {...common} rows={3} defaultValue={initial} onInput={(e) => onInput((e.target as HTMLTextAreaElement).value)} />;
  else {
    const type = f.widget === "secret" ? "password" : f.widget === "integer" || f.widget === "number" || f.widget === "slider" ? "number" : "text";
    const step = f.widget === "integer" || f.schema.type === "integer" ? "1" : "any";
    // Uncontrolled (defaultValue): the form state lives in the parent, and a re-render must not reset what was typed.
    control = <input {...common} type={type as "text"} step={type === "number" ? step : undefined} defaultValue={initial} placeholder={f.widget === "file" ? "https://… or data: URL" : undefined} onInput={(e) => onInput((e.target as HTMLInputElement).value)} />;
  }
  return (
    <div class="field">
      <label for={f.name}>
        {f.title}
        {f.required && " *"}
        {f.deprecated && <span class="muted"> (deprecated)</span>}
      </label>
      {control}
      {f.description && <div class="muted">{f.description}</div>}
    </div>
  );
}

export function ModelPage({ owner, name }: { owner: string; name: string }) {
  const [model, setModel] = useState<ModelJson | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null); // the form's: shown beside it, input kept
  const [raw, setRaw] = useState<Record<string, FormValue>>({});
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api<ModelJson>("GET", `/v1/models/${owner}/${name}`).then(setModel, (e: Error) => setLoadError(e.message));
  }, [owner, name]);
  if (loadError) return <p role="alert">{loadError}</p>;
  if (!model) return <p class="muted">Loading…</p>;
  const version = model.latest_version;
  if (!version) return <p>{owner}/{name} has no version yet.</p>;
  const doc = version.openapi_schema as OpenApiDocument;
  const fields = orderedProperties(doc);

  async function submit(e: Event) {
    e.preventDefault();
    // Untouched fields are left out: validateInput fills in their defaults, as the server would.
    const checked = validateInput(doc, coerceFormValues(doc, raw));
    if (!checked.ok) return setError(checked.errors.map((x) => `${x.field}: ${x.message}`).join("; "));
    setBusy(true);
    setError(null);
    try {
      const p = await api<PredictionJson>("POST", "/v1/predictions", { version: version!.id, input: checked.value }, { "x-modelhub-source": "web" });
      location.assign(`/p/${p.id}`);
    } catch (err) {
      setError(err instanceof HttpError ? err.message : String(err));
      setBusy(false);
    }
  }

  return (
    <>
      <h2>{owner}/{name}</h2>
      {model.description && <p class="muted">{model.description}</p>}
      <p class="muted">version <code>{version.id.slice(0, 12)}</code> · cog {version.cog_version} · {model.run_count} runs</p>
      {version.import?.status === "importing" && <p class="muted">Importing the pushed image into Docker{version.import.progress ? ` (${version.import.progress})` : ""}; predictions wait in the queue until it is there.</p>}
      {version.import?.status === "failed" && <p role="alert">The pushed image could not be imported into Docker: {version.import.error}</p>}
      <form onSubmit={submit}>
        {fields.map((f) => <Field key={f.name} f={f} onInput={(v) => setRaw((r) => ({ ...r, [f.name]: v }))} />)}
        {error && <p role="alert">{error}</p>}
        <button type="submit" disabled={busy}>{busy ? "Starting…" : "Run"}</button>
      </form>
    </>
  );
}
