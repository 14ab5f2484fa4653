// /v1/files (create from multipart, list, get metadata, delete) and the no-auth capability
// download URLs of stored files, /files/{token}/{name}.
import { Elysia } from "elysia";
import { FileMetadata } from "../../contract/wire-files.ts";
import { badRequest, invalidInput, tooLarge } from "../../errors.ts";
import { contentTypeForName } from "../../files/data-url.ts";
import type { HttpDeps } from "../http-context.ts";
import { presentFile } from "../present.ts";
import { decodeCursor, encodeCursor, json, noContent, originOf } from "../respond.ts";
import { type Part, parseMultipart } from "../transport/multipart.ts";
import { check } from "../transport/body.ts";
import { serveFile } from "../transport/serve-file.ts";

const PAGE = 100;
/** Room for the multipart framing and the metadata part around the file itself. */
const MULTIPART_SLACK = 1024 * 1024;

function readMetadata(p: Part | undefined): Record<string, unknown> {
  if (!p) return {};
  // The JS client sends a JSON Blob part; Python a plain text field. Same bytes either way.
  const text = new TextDecoder().decode(p.body);
  if (!text.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text; // not JSON: the schema reports it as not an object
  }
  return check(FileMetadata, parsed, "metadata", "metadata");
}

const text = (p: Part | undefined) => (p ? new TextDecoder().decode(p.body).trim() : "");

export function fileRoutes(d: HttpDeps) {
  const origin = (r: Request) => originOf(r, d.config.publicUrl);
  const max = d.files.maxBytes;
  const download = ({ request, params }: { request: Request; params: { token: string } }) => {
    const f = d.files.byToken(params.token);
    return serveFile(f, f ? d.files.blobPath(f) : null, request);
  };

  return new Elysia({ name: "v1-files" })
    .post("/v1/files", async ({ request }) => {
      const len = Number(request.headers.get("content-length") ?? 0);
      if (len > max + MULTIPART_SLACK) throw tooLarge(`The upload is ${len} bytes; files may be at most ${max} bytes`);
      const type = request.headers.get("content-type") ?? "";
      if (!/^multipart\/form-data/i.test(type))
        throw badRequest("POST /v1/files takes multipart/form-data with the file in a part named `content`");
      const body = new Uint8Array(await request.arrayBuffer());
      if (body.byteLength > max + MULTIPART_SLACK) throw tooLarge(`The upload is ${body.byteLength} bytes; files may be at most ${max} bytes`);
      const parts = parseMultipart(body, type);
      const part = (name: string) => parts.find((p) => p.name === name);
      const content = part("content");
      if (!content)
        throw invalidInput("The file goes in a multipart part named `content` (with a filename)", [
          { field: "content", rule: "required", message: "is required" },
        ]);
      if (content.body.byteLength > max) throw tooLarge(`The file is ${content.body.byteLength} bytes; files may be at most ${max} bytes`);
      const name = text(part("filename")) || content.filename || "file";
      // The part's own type first; a generic one is refined from the name, like Python's mimetypes.
      const declared = text(part("type")) || content.contentType || "";
      const guessed = contentTypeForName(name);
      const contentType = declared && declared !== "application/octet-stream" ? declared : guessed !== "application/octet-stream" ? guessed : declared || guessed;
      const f = await d.files.create({ kind: "upload", name, contentType, body: content.body, metadata: readMetadata(part("metadata")) });
      return json(presentFile(f, origin(request)), 201);
    })
    .get("/v1/files", ({ request }) => {
      const url = new URL(request.url);
      const after = decodeCursor<{ c: string; i: string }>(url.searchParams.get("cursor"), ["c", "i"]);
      const rows = d.files.listUploads(PAGE + 1, after && { createdAt: after.c, id: after.i });
      const last = rows[PAGE - 1];
      const next = rows.length > PAGE && last ? `${origin(request)}/v1/files?cursor=${encodeCursor({ c: last.createdAt, i: last.id })}` : null;
      return json({ next, previous: null, results: rows.slice(0, PAGE).map((f) => presentFile(f, origin(request))) });
    })
    .get("/v1/files/:id", ({ request, params }) => json(presentFile(d.files.getUpload(params.id), origin(request))))
    .delete("/v1/files/:id", ({ params }) => {
      d.files.deleteUpload(params.id);
      return noContent();
    })
    .get("/files/:token", download)
    .get("/files/:token/:name", download)
    .head("/files/:token", download)
    .head("/files/:token/:name", download);
}
