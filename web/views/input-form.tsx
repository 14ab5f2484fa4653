// The playground's form: one widget per input of the version's schema, in x-order, labelled with the
// property name, its description and constraints beneath, errors at the field (aria-invalid).
import { useState } from "preact/hooks";
import type { FormValue } from "../../server/contract/form-values.ts";
import type { InputField } from "../../server/contract/input-fields.ts";
import { initialValue, type Values } from "../lib/form-state.ts";
import { FileField } from "./file-field.tsx";

const TYPE_WORD: Record<string, string> = {
  file: "file",
  secret: "secret",
  text: "string",
  textarea: "string",
  integer: "integer",
  number: "number",
  slider: "number",
  boolean: "boolean",
  select: "choice",
  array: "list",
  json: "JSON",
};

const fmt = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

/** "16–1024 · default 256", "max 500 characters", "Accepts image/*". */
export function constraintText(f: InputField): string {
  const s = f.schema;
  const parts: string[] = [];
  const lo = s.minimum ?? (typeof s.exclusiveMinimum === "number" ? s.exclusiveMinimum : undefined);
  const hi = s.maximum ?? (typeof s.exclusiveMaximum === "number" ? s.exclusiveMaximum : undefined);
  if (lo !== undefined && hi !== undefined) parts.push(`${lo} to ${hi}`);
  else if (lo !== undefined) parts.push(`≥ ${lo}`);
  else if (hi !== undefined) parts.push(`≤ ${hi}`);
  if (s.minLength !== undefined) parts.push(`min ${s.minLength} characters`);
  if (s.maxLength !== undefined) parts.push(`max ${s.maxLength} characters`);
  if (s.pattern) parts.push(`format: ${s.pattern}`);
  if (s.minItems !== undefined) parts.push(`at least ${s.minItems} items`);
  if (s.maxItems !== undefined) parts.push(`at most ${s.maxItems} items`);
  if (s["x-cog-accept"]) parts.push(`accepts ${s["x-cog-accept"]}`);
  if (f.hasDefault && f.default !== null && f.widget !== "secret") parts.push(`default ${fmt(f.default)}`);
  return parts.join(" · ");
}

function sliderStep(f: InputField): number | "any" {
  if (f.schema.type === "integer") return 1;
  const lo = Number(f.schema.minimum ?? f.schema.exclusiveMinimum ?? 0);
  const hi = Number(f.schema.maximum ?? f.schema.exclusiveMaximum ?? 1);
  const raw = (hi - lo) / 100;
  if (!(raw > 0)) return "any";
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((x) => x >= raw) ?? p;
}

interface FieldProps {
  f: InputField;
  value: FormValue;
  error?: string;
  onChange: (v: FormValue) => void;
  lastSeed?: number | null;
}

function Control({ f, value, error, onChange, lastSeed }: FieldProps) {
  const id = f.name;
  const described = `${id}-help`;
  const common = { id, name: id, "aria-invalid": error ? true : undefined, "aria-describedby": described, "aria-required": f.required || undefined };
  const str = typeof value === "string" ? value : "";
  const [shown, setShown] = useState(false);
  switch (f.widget) {
    case "boolean":
      return (
        <label class="switch">
          <input {...common} type="checkbox" role="switch" checked={value === true} onChange={(e) => onChange(e.currentTarget.checked)} />
          <span class="switch-track" aria-hidden="true" />
          <span class="switch-label">{value === true ? "On" : "Off"}</span>
        </label>
      );
    case "select": {
      const choices = f.enum ?? [];
      const idx = choices.findIndex((c) => String(c) === str);
      return (
        // Option values are indexes, so integer choices come back as what they were.
        <select {...common} value={idx < 0 ? "" : String(idx)} onChange={(e) => onChange(e.currentTarget.value === "" ? "" : String(choices[Number(e.currentTarget.value)]))}>
          {(idx < 0 || !f.hasDefault) && <option value="">{f.required ? "Choose…" : "Not set"}</option>}
          {choices.map((c, i) => (
            <option value={String(i)}>{String(c)}</option>
          ))}
        </select>
      );
    }
    case "slider": {
      const lo = Number(f.schema.minimum ?? f.schema.exclusiveMinimum);
      const hi = Number(f.schema.maximum ?? f.schema.exclusiveMaximum);
      const step = sliderStep(f);
      const num = Number(str);
      return (
        <div class="slider">
          <input
            type="range"
            min={lo}
            max={hi}
            step={step}
            value={str === "" || !Number.isFinite(num) ? lo : Math.min(hi, Math.max(lo, num))}
            aria-label={`${f.name} slider`}
            tabIndex={-1}
            onInput={(e) => onChange(e.currentTarget.value)}
          />
          <input {...common} type="number" inputMode={f.schema.type === "integer" ? "numeric" : "decimal"} step={f.schema.type === "integer" ? 1 : "any"} class="num" value={str} onInput={(e) => onChange(e.currentTarget.value)} />
        </div>
      );
    }
    case "integer":
    case "number": {
      const isSeed = /seed/i.test(f.name);
      const box = (
        <input
          {...common}
          type="number"
          inputMode={f.widget === "integer" ? "numeric" : "decimal"}
          step={f.widget === "integer" ? 1 : "any"}
          placeholder={f.hasDefault ? undefined : isSeed ? "Random" : "Not set"}
          value={str}
          onInput={(e) => onChange(e.currentTarget.value)}
        />
      );
      if (!isSeed) return box;
      return (
        <div class="row-inline">
          {box}
          <button type="button" class="btn" title="A random seed" onClick={() => onChange(String(Math.floor(Math.random() * 2 ** 31)))}>
            Random
          </button>
          {lastSeed !== undefined && lastSeed !== null && (
            <button type="button" class="btn" onClick={() => onChange(String(lastSeed))}>
              Use last
            </button>
          )}
        </div>
      );
    }
    case "secret":
      return (
        <div class="row-inline">
          <input {...common} type={(shown ? "text" : "password") as "text"} autoComplete="off" placeholder={f.required ? undefined : "Not set"} value={str} onInput={(e) => onChange(e.currentTarget.value)} />
          <button type="button" class="btn" aria-pressed={shown} onClick={() => setShown(!shown)}>
            {shown ? "Hide" : "Show"}
          </button>
        </div>
      );
    case "textarea": {
      const rows = Math.min(12, Math.max(3, str.split("\n").length + Math.floor(str.length / 70)));
      return <textarea {...common} rows={rows} placeholder={f.required ? undefined : "Not set"} value={str} onInput={(e) => onChange(e.currentTarget.value)} />;
    }
    case "json":
      return <textarea {...common} class="mono" rows={4} spellcheck={false} placeholder="JSON" value={str} onInput={(e) => onChange(e.currentTarget.value)} />;
    case "file":
      return <FileField id={id} field={f} value={str} invalid={!!error} describedBy={described} onChange={onChange} />;
    case "array":
      return <ListField f={f} value={Array.isArray(value) ? (value as string[]) : []} onChange={onChange} describedBy={described} invalid={!!error} />;
    default:
      return <input {...common} type="text" placeholder={f.required ? undefined : "Not set"} value={str} onInput={(e) => onChange(e.currentTarget.value)} />;
  }
}

function ListField({ f, value, onChange, describedBy, invalid }: { f: InputField; value: string[]; onChange: (v: FormValue) => void; describedBy: string; invalid: boolean }) {
  const items = f.schema.items ?? {};
  const files = items.format === "uri";
  const rows = value.length ? value : [""];
  const set = (i: number, v: string) => onChange(rows.map((x, j) => (j === i ? v : x)));
  return (
    <div class="list-field" id={f.name} tabIndex={-1} aria-describedby={describedBy} aria-invalid={invalid || undefined}>
      {rows.map((v, i) => (
        <div class="row-inline" key={i}>
          {files ? (
            <FileField id={`${f.name}-${i}`} field={{ ...f, schema: items }} value={v} invalid={invalid} describedBy={describedBy} onChange={(x) => set(i, String(x))} label={`${f.name} item ${i + 1}`} />
          ) : (
            <input type={(items.type === "integer" || items.type === "number" ? "number" : "text") as "text"} aria-label={`${f.name} item ${i + 1}`} value={v} onInput={(e) => set(i, e.currentTarget.value)} />
          )}
          <button type="button" class="btn btn-icon" aria-label={`Remove ${f.name} item ${i + 1}`} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            ×
          </button>
        </div>
      ))}
      <button type="button" class="btn" onClick={() => onChange([...rows, ""])}>
        + Add item
      </button>
    </div>
  );
}

export function Field(props: FieldProps) {
  const { f, error, value, onChange } = props;
  const hint = constraintText(f);
  const changed = JSON.stringify(value) !== JSON.stringify(initialValue(f));
  return (
    <div class={`field${error ? " field-invalid" : ""}${f.widget === "boolean" ? " field-switch" : ""}`} data-field={f.name}>
      <div class="field-label">
        <label for={f.name} class="mono">
          {f.name}
        </label>
        <span class="type-word">{f.widget === "slider" && f.schema.type === "integer" ? "integer" : (TYPE_WORD[f.widget] ?? f.widget)}</span>
        {f.required && <span class="tag tag-required">Required</span>}
        {f.deprecated && <span class="tag">Deprecated</span>}
        {changed && f.hasDefault && (
          <button type="button" class="btn-link reset-field" title="Back to the default" aria-label={`Reset ${f.name} to its default`} onClick={() => onChange(initialValue(f))}>
            ↺
          </button>
        )}
      </div>
      <Control {...props} />
      <div id={`${f.name}-help`} class="field-help">
        {error && <div class="field-error">{error}</div>}
        {f.description && <div class="desc">{f.description}</div>}
        {hint && <div class="hint">{hint}</div>}
      </div>
    </div>
  );
}

export function InputFields({ fields, values, errors, onChange, lastSeed }: { fields: readonly InputField[]; values: Values; errors: Record<string, string>; onChange: (name: string, v: FormValue) => void; lastSeed?: number | null }) {
  const current = fields.filter((f) => !f.deprecated);
  const old = fields.filter((f) => f.deprecated);
  const one = (f: InputField) => <Field key={f.name} f={f} value={values[f.name] ?? initialValue(f)} error={errors[f.name]} onChange={(v) => onChange(f.name, v)} lastSeed={lastSeed} />;
  return (
    <>
      {current.map(one)}
      {old.length > 0 && (
        <details class="deprecated" open={old.some((f) => errors[f.name])}>
          <summary>Deprecated inputs ({old.length})</summary>
          {old.map(one)}
        </details>
      )}
    </>
  );
}
