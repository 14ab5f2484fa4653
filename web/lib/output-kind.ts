// How to show an output: by the version's Output schema first, then by the value itself.
import { isConcatenateOutput, type JsonSchema } from "../../server/contract/cog-schema.ts";

export type FileKind = "image" | "audio" | "video" | "text" | "file";
export type OutputView =
  | { kind: "empty" }
  | { kind: "text"; text: string }
  | { kind: "file"; url: string; file: FileKind }
  | { kind: "gallery"; urls: string[] }
  | { kind: "texts"; items: string[] }
  | { kind: "scalar"; text: string }
  | { kind: "json" };

const isUrl = (v: unknown): v is string => typeof v === "string" && /^(https?:\/\/|data:)/.test(v);

export function fileKind(url: string): FileKind {
  const data = /^data:([a-z]+)\//i.exec(url);
  if (data) return (["image", "audio", "video", "text"] as const).find((k) => k === data[1].toLowerCase()) ?? "file";
  const ext = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase() ?? "";
  if (/^(png|jpe?g|webp|gif|avif|bmp|svg)$/.test(ext)) return "image";
  if (/^(wav|mp3|flac|ogg|oga|m4a|aac|opus)$/.test(ext)) return "audio";
  if (/^(mp4|webm|mov|m4v)$/.test(ext)) return "video";
  if (/^(txt|md|json|csv|tsv|srt|vtt|log)$/.test(ext)) return "text";
  return "file";
}

export function classify(value: unknown, schema?: JsonSchema): OutputView {
  if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) return { kind: "empty" };
  if (Array.isArray(value)) {
    if (value.every(isUrl)) return value.length === 1 ? { kind: "file", url: value[0], file: fileKind(value[0]) } : { kind: "gallery", urls: value };
    if (value.every((v) => typeof v === "string")) {
      // Concatenate iterators (LLM tokens) join into one text; other string lists stay separate.
      if (isConcatenateOutput(schema) || !schema) return { kind: "text", text: value.join("") };
      return { kind: "texts", items: value };
    }
    return { kind: "json" };
  }
  if (isUrl(value)) return { kind: "file", url: value, file: fileKind(value) };
  if (typeof value === "string") return { kind: "text", text: value };
  if (typeof value === "number" || typeof value === "boolean") return { kind: "scalar", text: String(value) };
  return { kind: "json" };
}
