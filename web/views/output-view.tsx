// A prediction's output by its schema and content type: text, image, audio, video, a gallery, JSON
// or a download; with Preview/JSON, copy and download.
import { useState } from "preact/hooks";
import type { JsonSchema } from "../../server/contract/cog-schema.ts";
import { classify, type FileKind } from "../lib/output-kind.ts";
import { CopyButton } from "./common.tsx";

const fileName = (url: string) => (url.startsWith("data:") ? "output" : decodeURIComponent(url.split(/[?#]/)[0].split("/").pop() || "output"));

function FileOut({ url, kind }: { url: string; kind: FileKind }) {
  const media =
    kind === "image" ? (
      <a href={url} target="_blank" rel="noopener" class="checker">
        <img src={url} alt="output" class="output-image" decoding="async" />
      </a>
    ) : kind === "audio" ? (
      <audio src={url} controls preload="metadata" class="output-media" />
    ) : kind === "video" ? (
      <video src={url} controls playsInline preload="metadata" class="output-media" />
    ) : null;
  return (
    <figure class="output-file">
      {media}
      <figcaption class="row-inline">
        <span class="mono small ellipsis">{fileName(url)}</span>
        <a class="btn" href={url} download={fileName(url)}>
          Download
        </a>
      </figcaption>
    </figure>
  );
}

export function OutputView({ value, schema, streaming }: { value: unknown; schema?: JsonSchema; streaming?: boolean }) {
  const [view, setView] = useState<"preview" | "json">("preview");
  const c = classify(value, schema);
  if (c.kind === "empty") return <p class="muted output-empty">{streaming ? "Waiting for output…" : "No output."}</p>;
  const json = JSON.stringify(value, null, 2);
  const copyable = c.kind === "text" ? c.text : c.kind === "scalar" ? c.text : c.kind === "file" ? c.url : json;
  return (
    <div class="output">
      <div class="output-bar">
        <div class="seg" role="group" aria-label="Output view">
          <button type="button" aria-pressed={view === "preview"} onClick={() => setView("preview")}>
            Preview
          </button>
          <button type="button" aria-pressed={view === "json"} onClick={() => setView("json")}>
            JSON
          </button>
        </div>
        <CopyButton text={view === "json" ? json : copyable} label={view === "json" ? "Copy JSON" : "Copy"} />
        {view === "json" && (
          <a class="btn" download="output.json" href={`data:application/json;charset=utf-8,${encodeURIComponent(json)}`}>
            Download
          </a>
        )}
      </div>
      {view === "json" ? (
        <pre class="code">{json}</pre>
      ) : c.kind === "text" ? (
        <div class="output-text" aria-busy={streaming || undefined}>
          {c.text}
          {streaming && <span class="caret" aria-hidden="true" />}
        </div>
      ) : c.kind === "scalar" ? (
        <div class="output-scalar">{c.text}</div>
      ) : c.kind === "file" ? (
        <FileOut url={c.url} kind={c.file} />
      ) : c.kind === "gallery" ? (
        <div class="gallery">
          {c.urls.map((u) => (
            <FileOut url={u} kind={classify(u).kind === "file" ? (classify(u) as { file: FileKind }).file : "file"} />
          ))}
        </div>
      ) : c.kind === "texts" ? (
        <ol class="texts">
          {c.items.map((t) => (
            <li class="output-text">{t}</li>
          ))}
        </ol>
      ) : (
        <pre class="code">{json}</pre>
      )}
    </div>
  );
}
