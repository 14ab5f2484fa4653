// A file input: choose, drop or paste a file (uploaded at once through POST /v1/files, with
// progress and a preview), or give a URL. The field's value is the uploaded file's URL.
import { useEffect, useRef, useState } from "preact/hooks";
import type { FormValue } from "../../server/contract/form-values.ts";
import type { InputField } from "../../server/contract/input-fields.ts";
import { uploadFile } from "../lib/api.ts";
import { fileKind } from "../lib/output-kind.ts";

interface Local {
  name: string;
  size: number;
  type: string;
  preview: string;
}

const size = (n: number) => (n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 ** 2).toFixed(1)} MB`);

export function FileField({ id, field, value, invalid, describedBy, onChange, label }: { id: string; field: InputField; value: string; invalid: boolean; describedBy: string; onChange: (v: FormValue) => void; label?: string }) {
  const [local, setLocal] = useState<Local | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [over, setOver] = useState(false);
  const [urlMode, setUrlMode] = useState(() => !!value && !/\/v1\/files\//.test(value));
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => local && URL.revokeObjectURL(local.preview), [local]);

  async function take(file: File) {
    abort.current?.abort();
    const ctl = new AbortController();
    abort.current = ctl;
    setProblem(null);
    setLocal({ name: file.name, size: file.size, type: file.type, preview: URL.createObjectURL(file) });
    setProgress(0);
    try {
      const up = await uploadFile(file, setProgress, ctl.signal);
      onChange(up.urls.get);
    } catch (e) {
      if (!ctl.signal.aborted) setProblem((e as Error).message);
      setLocal(null);
    } finally {
      setProgress(null);
    }
  }

  const clear = () => {
    abort.current?.abort();
    setLocal(null);
    onChange("");
  };
  const kind = local ? (local.type.split("/")[0] as string) : value ? fileKind(value) : null;
  const preview = local?.preview ?? (value && !/\/v1\/files\//.test(value) ? value : null);

  return (
    <div class="file-field">
      {urlMode ? (
        <input id={id} type="url" inputMode="url" placeholder="https://…" aria-label={label} aria-invalid={invalid || undefined} aria-describedby={describedBy} value={value} onInput={(e) => onChange(e.currentTarget.value)} />
      ) : (
        <label
          class={`dropzone${over ? " over" : ""}`}
          onDragOver={(e) => {
            e.preventDefault();
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={(e) => {
            e.preventDefault();
            setOver(false);
            const f = e.dataTransfer?.files[0];
            if (f) void take(f);
          }}
          onPaste={(e) => {
            const f = e.clipboardData?.files[0];
            if (f) {
              e.preventDefault();
              void take(f);
            }
          }}
        >
          <input
            id={id}
            type="file"
            class="visually-hidden-file"
            accept={field.schema["x-cog-accept"]}
            aria-label={label}
            aria-invalid={invalid || undefined}
            aria-describedby={describedBy}
            onChange={(e) => {
              const f = e.currentTarget.files?.[0];
              if (f) void take(f);
              e.currentTarget.value = "";
            }}
          />
          {local || value ? (
            <span class="file-chip">
              {local ? `${local.name} · ${size(local.size)}` : decodeURIComponent(value.split("/").pop() ?? value)}
              {progress !== null && ` · uploading ${Math.round(progress * 100)}%`}
              {progress === null && value && local && " · uploaded"}
            </span>
          ) : (
            <span class="muted">
              <strong>Choose a file</strong>, drop it here or paste it
            </span>
          )}
        </label>
      )}
      {progress !== null && <progress max={1} value={progress} aria-label={`Uploading ${local?.name ?? "file"}`} />}
      {problem && <div class="field-error" role="alert">{problem}</div>}
      {preview && kind === "image" && <img class="file-preview" src={preview} alt={`Preview of ${id}`} />}
      {preview && kind === "audio" && <audio class="file-preview" src={preview} controls preload="metadata" />}
      {preview && kind === "video" && <video class="file-preview" src={preview} controls preload="metadata" playsInline />}
      <div class="row-inline small">
        <button type="button" class="btn-link" onClick={() => (setUrlMode(!urlMode), clear())}>
          {urlMode ? "Upload a file instead" : "Use a URL instead"}
        </button>
        {(value || local) && (
          <button type="button" class="btn-link" onClick={clear}>
            Remove
          </button>
        )}
      </div>
    </div>
  );
}
