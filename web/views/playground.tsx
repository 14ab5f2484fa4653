// The Playground tab: the form beside the output. Run creates a prediction without leaving the page;
// the URL gains ?prediction=<id> so a reload or a shared link shows the same run.
import { useEffect, useMemo, useRef } from "preact/hooks";
import { outputSchema, type OpenApiDocument } from "../../server/contract/cog-schema.ts";
import { type InputField } from "../../server/contract/input-fields.ts";
import { api, HttpError, type ModelJson, type PredictionJson } from "../lib/api.ts";
import { errorsByField } from "../lib/form-state.ts";
import type { FormStore } from "../lib/form-store.ts";
import { here, setQuery } from "../lib/router.ts";
import { isDone, type RunState } from "../lib/run-state.ts";
import { watchRun } from "../lib/run-store.ts";
import { useStore } from "../lib/store.ts";
import { Notice } from "./common.tsx";
import { InputFields } from "./input-form.tsx";
import { RunView } from "./run-view.tsx";

const isMac = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform);

export function focusFirstError(fields: readonly InputField[], errors: Record<string, string>) {
  const first = fields.find((f) => errors[f.name]);
  const el = first ? document.getElementById(first.name) : document.querySelector<HTMLElement>(".form-problem");
  el?.focus();
  el?.scrollIntoView({ block: "center" });
}

export function Playground({ model, form, doc, onRunEnded }: { model: ModelJson; form: FormStore; doc: OpenApiDocument; onRunEnded?: () => void }) {
  const s = useStore(form.state);
  const loc = useStore(here);
  const predictionId = loc.query.get("prediction");
  const tweak = loc.query.get("tweak");
  const formEl = useRef<HTMLFormElement>(null);
  const out = useMemo(() => outputSchema(doc), [doc]);
  const title = `${model.owner}/${model.name} · modelhub`;
  const watch = predictionId ? watchRun(predictionId) : null;
  const lastInput = watch ? watch.state.get().prediction?.input : undefined;
  const lastSeed = typeof lastInput?.seed === "number" ? lastInput.seed : null;

  useEffect(() => {
    if (!tweak) return;
    api<PredictionJson>("GET", `/v1/predictions/${encodeURIComponent(tweak)}`).then(
      (p) => {
        form.fill(p.input);
        setQuery({ tweak: null, prediction: p.id });
      },
      () => setQuery({ tweak: null }),
    );
  }, [tweak]);
  useEffect(() => {
    if (!predictionId) document.title = title;
  }, [predictionId]);
  // The header's run count and the like change when a run ends. Whether it had ended is read at
  // render, so a run that ends before the effect subscribes is still reported.
  const endedAtRender = watch ? isDone(watch.state.get()) : false;
  useEffect(() => {
    if (!watch || !onRunEnded) return;
    let ended = endedAtRender;
    const seen = (st: RunState) => {
      if (!ended && isDone(st)) onRunEnded();
      ended = isDone(st);
    };
    seen(watch.state.get());
    return watch.state.subscribe(seen);
  }, [watch?.id]);

  async function run(e?: Event) {
    e?.preventDefault();
    const checked = form.check();
    if (!checked.ok) {
      form.setErrors(checked.errors);
      return requestAnimationFrame(() => focusFirstError(form.fields, checked.errors));
    }
    form.setErrors({});
    try {
      const version = model.latest_version!.id;
      const p = await api<PredictionJson>("POST", "/v1/predictions", { version, input: checked.input }, { "x-modelhub-source": "web" });
      watchRun(p.id, p);
      setQuery({ prediction: p.id });
      // Stacked on a phone: the output is below the form, so bring it into view.
      if (matchMedia("(max-width: 900px)").matches) requestAnimationFrame(() => document.getElementById("output-heading")?.scrollIntoView({ block: "start" }));
    } catch (err) {
      // The server's 422 lands at the field, like the client's own check.
      const errors = err instanceof HttpError && err.fields.length ? errorsByField(err.fields) : { _: (err as Error).message };
      form.setErrors(errors);
      requestAnimationFrame(() => focusFirstError(form.fields, errors));
    }
  }

  const unplaced = Object.entries(s.errors).filter(([k]) => !form.fields.some((f) => f.name === k));
  return (
    <div class="playground">
      <section class="pane pane-input" aria-labelledby="input-heading">
        <div class="pane-head">
          <h2 id="input-heading">Input</h2>
          <div class="seg" role="group" aria-label="Input view">
            <button type="button" aria-pressed={s.mode === "form"} onClick={() => form.setMode("form")}>
              Form
            </button>
            <button type="button" aria-pressed={s.mode === "json"} onClick={() => form.setMode("json")}>
              JSON
            </button>
          </div>
        </div>
        <form
          ref={formEl}
          class="input-form"
          noValidate
          onSubmit={run}
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) void run(e);
          }}
        >
          {s.mode === "form" ? (
            <InputFields fields={form.fields} values={s.values} errors={s.errors} onChange={(n, v) => form.setValue(n, v)} lastSeed={lastSeed} />
          ) : (
            <textarea class="mono json-input" aria-label="Input as JSON" rows={14} spellcheck={false} value={s.json} onInput={(e) => form.setJson(e.currentTarget.value)} />
          )}
          {unplaced.length > 0 && (
            <div class="form-problem" tabIndex={-1}>
              <Notice>{unplaced.map(([k, m]) => (k === "_" ? m : `${k}: ${m}`)).join("; ")}</Notice>
            </div>
          )}
          <div class="run-bar">
            <button type="button" class="btn" onClick={() => form.reset()}>
              Reset
            </button>
            <button type="submit" class="btn btn-primary btn-run">
              Run <kbd>{isMac ? "⌘" : "Ctrl"}+↵</kbd>
            </button>
          </div>
        </form>
      </section>
      <section class="pane pane-output" aria-labelledby="output-heading">
        <div class="pane-head">
          <h2 id="output-heading">Output</h2>
          {watch && (
            <a class="small" href={`/p/${watch.id}`}>
              Open prediction
            </a>
          )}
        </div>
        {watch ? <RunView key={watch.id} watch={watch} outputSchema={out} title={title} /> : <p class="muted output-empty">Run the model to see its output here.</p>}
      </section>
    </div>
  );
}
