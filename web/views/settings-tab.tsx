// A model's settings (admins): description and visibility (PATCH /v1/models/{o}/{n}) and its run
// policy: GPUs, idle timeout, instances, queue (GET/PATCH /v1/models/{o}/{n}/policy).
import { useEffect, useState } from "preact/hooks";
import { api, HttpError, type ModelJson } from "../lib/api.ts";
import { errorsByField } from "../lib/form-state.ts";
import { Loading, Notice } from "./common.tsx";

interface PolicyJson {
  policy: Record<string, unknown>;
  effective: (Record<string, unknown> & { sources: Record<string, string> }) | null;
  setup_error: string | null;
}

const POLICY_FIELDS: [string, string, string][] = [
  ["gpus", "GPUs per instance", "0 runs on the CPU"],
  ["idle_timeout", "Idle timeout (seconds)", "stop an idle container after this long; “never” keeps it"],
  ["min_instances", "Minimum instances", "kept warm even when idle"],
  ["max_instances", "Maximum instances", ""],
  ["concurrency", "Concurrent predictions per instance", ""],
  ["max_queue", "Queue length", "further requests get 429"],
  ["setup_timeout", "Setup timeout (seconds)", ""],
];

function ModelFields({ model, onSaved }: { model: ModelJson; onSaved: (m: ModelJson) => void }) {
  const [description, setDescription] = useState(model.description ?? "");
  const [visibility, setVisibility] = useState(model.visibility);
  const [state, setState] = useState<{ ok?: string; error?: string }>({});
  const save = async (e: Event) => {
    e.preventDefault();
    try {
      onSaved(await api<ModelJson>("PATCH", `/v1/models/${model.owner}/${model.name}`, { description: description || null, visibility }));
      setState({ ok: "Saved." });
    } catch (err) {
      setState({ error: (err as Error).message });
    }
  };
  return (
    <form class="card stack" onSubmit={save}>
      <h2>Model</h2>
      <div class="field">
        <label for="set-description">Description</label>
        <textarea id="set-description" rows={3} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </div>
      <fieldset class="field">
        <legend>Visibility</legend>
        <label class="radio">
          <input type="radio" name="visibility" checked={visibility === "public"} onChange={() => setVisibility("public")} /> Public: anyone with a token sees it
        </label>
        <label class="radio">
          <input type="radio" name="visibility" checked={visibility === "private"} onChange={() => setVisibility("private")} /> Private: admins, and the token named <span class="mono">{model.owner}</span>
        </label>
      </fieldset>
      {state.error && <Notice>{state.error}</Notice>}
      {state.ok && <Notice kind="ok">{state.ok}</Notice>}
      <div>
        <button class="btn btn-primary" type="submit">
          Save
        </button>
      </div>
    </form>
  );
}

function PolicyFields({ model }: { model: ModelJson }) {
  const base = `/v1/models/${model.owner}/${model.name}/policy`;
  const [p, setP] = useState<PolicyJson | null>(null);
  const [values, setValues] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [state, setState] = useState<{ ok?: string; error?: string }>({});
  const take = (r: PolicyJson) => {
    setP(r);
    setValues(Object.fromEntries(POLICY_FIELDS.map(([k]) => [k, r.policy[k] === null || r.policy[k] === undefined ? "" : String(r.policy[k])])));
  };
  useEffect(() => void api<PolicyJson>("GET", base).then(take, (e) => setState({ error: e.message })), [base]);
  if (!p) return state.error ? <Notice>{state.error}</Notice> : <Loading />;
  const save = async (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = {};
    for (const [k] of POLICY_FIELDS) {
      const v = values[k].trim();
      body[k] = v === "" ? null : v === "never" ? "never" : Number(v);
    }
    try {
      take(await api<PolicyJson>("PATCH", base, body));
      setErrors({});
      setState({ ok: "Saved." });
    } catch (err) {
      setErrors(err instanceof HttpError ? errorsByField(err.fields) : {});
      setState({ error: (err as Error).message });
    }
  };
  return (
    <form class="card stack" onSubmit={save}>
      <h2>Run policy</h2>
      <p class="muted small">Empty means the server's default, shown as the placeholder.</p>
      {p.setup_error && <Notice>Setup failed: {p.setup_error}</Notice>}
      <div class="grid-2">
        {POLICY_FIELDS.map(([k, label, help]) => (
          <div class="field">
            <label for={`pol-${k}`}>{label}</label>
            <input
              id={`pol-${k}`}
              inputMode={k === "idle_timeout" ? "text" : "numeric"}
              placeholder={p.effective ? String(p.effective[k] ?? "") : ""}
              aria-invalid={errors[k] ? true : undefined}
              value={values[k]}
              onInput={(e) => setValues({ ...values, [k]: e.currentTarget.value })}
            />
            {errors[k] ? <div class="field-error">{errors[k]}</div> : help && <div class="hint">{help}</div>}
          </div>
        ))}
      </div>
      {state.error && <Notice>{state.error}</Notice>}
      {state.ok && <Notice kind="ok">{state.ok}</Notice>}
      <div>
        <button class="btn btn-primary" type="submit">
          Save policy
        </button>
      </div>
    </form>
  );
}

export function SettingsTab({ model, onSaved }: { model: ModelJson; onSaved: (m: ModelJson) => void }) {
  return (
    <div class="settings stack">
      <ModelFields model={model} onSaved={onSaved} />
      <PolicyFields model={model} />
    </div>
  );
}
