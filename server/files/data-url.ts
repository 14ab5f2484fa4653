// data: URLs (RFC 2397) in and out: what Cog returns for file outputs in sync mode and what clients
// may send as file inputs. Pure.

export interface DecodedDataUrl {
  contentType: string;
  bytes: Uint8Array;
}

/** Decodes `data:[<mime>][;params][;base64],<data>`; null when the string is not a data URL. */
export function parseDataUrl(s: string): DecodedDataUrl | null {
  if (!s.startsWith("data:")) return null;
  const comma = s.indexOf(",");
  if (comma < 0) return null;
  const meta = s.slice(5, comma).split(";");
  const base64 = meta[meta.length - 1].toLowerCase() === "base64";
  if (base64) meta.pop();
  const contentType = (meta[0] || "text/plain").trim() + (meta.length > 1 ? ";" + meta.slice(1).join(";") : "");
  const payload = s.slice(comma + 1);
  try {
    const bytes = base64 ? new Uint8Array(Buffer.from(payload, "base64")) : new TextEncoder().encode(decodeURIComponent(payload));
    return { contentType: contentType || "text/plain", bytes };
  } catch {
    return null;
  }
}

export function toDataUrl(contentType: string, bytes: Uint8Array): string {
  return `data:${contentType || "application/octet-stream"};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")}`;
}

const EXT: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/webp": "webp",
  "image/gif": "gif",
  "image/svg+xml": "svg",
  "audio/wav": "wav",
  "audio/x-wav": "wav",
  "audio/mpeg": "mp3",
  "audio/ogg": "ogg",
  "audio/flac": "flac",
  "video/mp4": "mp4",
  "video/webm": "webm",
  "text/plain": "txt",
  "application/json": "json",
  "application/zip": "zip",
  "application/pdf": "pdf",
};

/** A file name for bytes that came without one (a decoded data URL): `output.png`, `output-2.wav`. */
export function nameForContentType(contentType: string, index = 0): string {
  const ext = EXT[contentType.split(";")[0].trim().toLowerCase()] ?? "bin";
  return index === 0 ? `output.${ext}` : `output-${index}.${ext}`;
}

/** Content type from a file name's extension (Bun's table), octet-stream when unknown. */
export function contentTypeForName(name: string): string {
  // Only the extension matters, and a name a client sent may hold a NUL or be longer than any
  // path may be: Bun.file() throws on both, so it is asked about a short stand-in name.
  const ext = /\.([A-Za-z0-9]{1,16})$/.exec(name)?.[1];
  if (!ext) return "application/octet-stream";
  const t = Bun.file(`f.${ext}`).type;
  // Bun answers application/octet-stream for unknown extensions; text types carry a charset.
  return t || "application/octet-stream";
}
