// The playground form of one model: values, per-field errors and the Form/JSON mode. It outlives
// the page (the API tab prints its inputs; coming back keeps what was typed) and saves the last
// inputs per model in localStorage.
import type { OpenApiDocument } from "../../server/contract/cog-schema.ts";
import type { FormValue } from "../../server/contract/form-values.ts";
import type { InputField } from "../../server/contract/input-fields.ts";
import { checkValues, initialValues, loadValues, nonDefaultInput, saveValues, valuesFromInput, type CheckResult, type Values } from "./form-state.ts";
import { Store } from "./store.ts";

export interface FormState {
  values: Values;
  errors: Record<string, string>;
  mode: "form" | "json";
  /** The JSON view's text while it is being edited. */
  json: string;
}

export class FormStore {
  readonly state: Store<FormState>;
  constructor(readonly model: string, readonly doc: OpenApiDocument, readonly fields: readonly InputField[]) {
    this.state = new Store<FormState>({ values: loadValues(model, fields) ?? initialValues(fields), errors: {}, mode: "form", json: "" });
  }
  private patch(p: Partial<FormState>) {
    this.state.set({ ...this.state.get(), ...p });
  }
  setValue(name: string, v: FormValue) {
    const { [name]: _, ...errors } = this.state.get().errors;
    this.patch({ values: { ...this.state.get().values, [name]: v }, errors });
    saveValues(this.model, this.fields, this.state.get().values);
  }
  reset() {
    this.patch({ values: initialValues(this.fields), errors: {}, json: this.state.get().mode === "json" ? JSON.stringify(this.currentInput(), null, 2) : "" });
    saveValues(this.model, this.fields, this.state.get().values);
  }
  /** Tweak it: a prediction's inputs back in the form. */
  fill(input: Record<string, unknown>) {
    this.patch({ values: valuesFromInput(this.fields, input), errors: {}, mode: "form" });
    saveValues(this.model, this.fields, this.state.get().values);
  }
  setErrors(errors: Record<string, string>) {
    this.patch({ errors });
  }
  setMode(mode: "form" | "json") {
    const s = this.state.get();
    if (mode === s.mode) return;
    if (mode === "json") return this.patch({ mode, json: JSON.stringify(this.currentInput(), null, 2), errors: {} });
    // Back to the form: the JSON, if it parses, becomes the form's values.
    const parsed = parseObject(s.json);
    this.patch({ mode, ...(parsed ? { values: valuesFromInput(this.fields, parsed) } : {}), errors: {} });
  }
  setJson(json: string) {
    this.patch({ json });
  }
  /** Validated input to send, or the errors by field (the same module the server validates with). */
  check(): CheckResult {
    const s = this.state.get();
    if (s.mode === "json") {
      const parsed = parseObject(s.json);
      if (!parsed) return { ok: false, errors: { _: "The JSON must be an object of inputs" } };
      return checkValues(this.doc, valuesFromInput(this.fields, parsed));
    }
    return checkValues(this.doc, s.values);
  }
  /** The inputs that differ from the defaults (what the snippets print); invalid values left out. */
  currentInput(): Record<string, unknown> {
    const r = this.check();
    if (r.ok) return nonDefaultInput(this.fields, r.input);
    const partial = checkValues(this.doc, Object.fromEntries(Object.entries(this.state.get().values).filter(([k]) => !(k in r.errors))));
    return partial.ok ? nonDefaultInput(this.fields, partial.input) : {};
  }
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

const forms = new Map<string, FormStore>();
/** The form store of a model's version (one per model and version). */
export function formFor(model: string, version: string, doc: OpenApiDocument, fields: readonly InputField[]): FormStore {
  const key = `${model}:${version}`;
  let f = forms.get(key);
  if (!f) forms.set(key, (f = new FormStore(model, doc, fields)));
  return f;
}
