// multipart/form-data parsing for POST /v1/files. Bun's request.formData() drops each part's
// Content-Type, which is how clients say what a file is, so the parts are read here. Pure; parts
// are views into the body buffer (no copies).
import { badRequest } from "../../errors.ts";

export interface Part {
  name: string;
  filename: string | null;
  contentType: string | null;
  body: Uint8Array;
}

function boundaryOf(contentType: string): string {
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!/^multipart\/form-data/i.test(contentType) || !m) throw badRequest("Expected a multipart/form-data body with a boundary");
  return m[1] ?? m[2];
}

/** Content-Disposition parameters: name, filename, filename* (RFC 5987). */
function dispositionParams(v: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /;\s*([a-zA-Z*]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(v))) {
    const key = m[1].toLowerCase();
    let val = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3].trim();
    if (key === "filename*") {
      const star = /^[^']*'[^']*'(.*)$/.exec(val);
      try {
        val = decodeURIComponent(star ? star[1] : val);
      } catch {}
      out.filename = val;
    } else if (!(key === "filename" && out.filename)) out[key] = val;
  }
  return out;
}

export function parseMultipart(body: Uint8Array, contentType: string): Part[] {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delim = Buffer.from(`--${boundaryOf(contentType)}`);
  const parts: Part[] = [];
  let pos = buf.indexOf(delim);
  if (pos < 0) throw badRequest("The multipart body has no parts");
  for (;;) {
    pos += delim.length;
    // "--" after a delimiter ends the body.
    if (buf[pos] === 0x2d && buf[pos + 1] === 0x2d) break;
    if (buf[pos] === 0x0d && buf[pos + 1] === 0x0a) pos += 2;
    const headEnd = buf.indexOf("\r\n\r\n", pos);
    if (headEnd < 0) throw badRequest("A multipart part has no end of headers");
    const headers: Record<string, string> = {};
    for (const line of buf.subarray(pos, headEnd).toString("utf8").split("\r\n")) {
      const i = line.indexOf(":");
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const next = buf.indexOf(Buffer.concat([Buffer.from("\r\n"), delim]), headEnd + 4);
    if (next < 0) throw badRequest("The multipart body ends before its closing boundary");
    const disp = dispositionParams(headers["content-disposition"] ?? "");
    parts.push({
      name: disp.name ?? "",
      filename: disp.filename ?? null,
      contentType: headers["content-type"] ?? null,
      body: new Uint8Array(buf.buffer, buf.byteOffset + headEnd + 4, next - (headEnd + 4)),
    });
    pos = next + 2;
  }
  return parts;
}
