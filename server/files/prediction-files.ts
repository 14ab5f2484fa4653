// Files as predictions see them: modelhub file URLs in inputs become something a container can
// read (a data URL when small, a callback-listener URL when large), and file outputs (data URLs
// from sync runs, --upload-url PUTs from async runs) become stored files at public capability URLs.
import { effectiveProperty, isRecord, type JsonSchema, type OpenApiDocument } from "../contract/cog-schema.ts";
import { invalidInput } from "../errors.ts";
import type { OutputContext, PredictionFiles } from "../predictions/ports.ts";
import { contentTypeForName, nameForContentType, parseDataUrl, toDataUrl } from "./data-url.ts";
import type { FileService } from "./service.ts";
import type { FileRecord } from "./store.ts";

/**
 * Inputs up to this size are inlined as data URLs; larger ones are served from the callback
 * listener. Measured (docs/benchmarks.md): both cost the same at 16 KiB, by-URL wins from 64 KiB
 * (2.1 vs 2.6 ms; at 1 MiB 3.3 vs 13.7 ms) because base64 in JSON is copied and parsed several
 * times; inlining small files spares the container a request back to modelhub.
 */
export const INLINE_INPUT_MAX_BYTES = 32 * 1024;

export interface PredictionFilesOptions {
  /** origins modelhub is reachable on besides the request's (public URL, listen address) */
  ownOrigins(): string[];
  /** http://host.docker.internal:<port> of the callback listener; null when there is none */
  callbackBase(): string | null;
  inlineMaxBytes?: number;
}

type Json = unknown;

export class PredictionFileBridge implements PredictionFiles {
  /** `<upload key>/<name>` → file id, for Cog < 0.9.9, whose output is the PUT URL itself. */
  private recentUploads = new Map<string, string>();

  constructor(
    private files: FileService,
    private opts: PredictionFilesOptions,
  ) {}

  private origins(origin: string): string[] {
    const all = [origin, ...this.opts.ownOrigins()].filter(Boolean);
    return [...new Set(all)];
  }

  /** The file a modelhub URL names: `/v1/files/<id>` (uploads) or `/files/<token>/<name>` (any). */
  private ownFile(s: string, origins: string[]): FileRecord | null | undefined {
    if (!s.startsWith("http")) return undefined;
    for (const o of origins) {
      if (!s.startsWith(o + "/")) continue;
      const path = s.slice(o.length).split(/[?#]/)[0];
      let m = /^\/v1\/files\/([^/]+)$/.exec(path);
      if (m) {
        const f = this.files.byId(decodeURIComponent(m[1]));
        return f && f.kind === "upload" ? f : null;
      }
      m = /^\/files\/([^/]+)(?:\/[^/]*)?$/.exec(path);
      if (m) return this.files.byToken(m[1]);
    }
    return undefined;
  }

  checkInputFiles(input: Record<string, unknown>, origin: string): boolean {
    const origins = this.origins(origin);
    let found = false;
    const visit = (v: Json, field: string): void => {
      if (typeof v === "string") {
        const f = this.ownFile(v, origins);
        if (f === null)
          throw invalidInput(`Input ${field} names a modelhub file that does not exist (deleted?): ${v}`, [
            { field, rule: "file", message: "names a file that does not exist" },
          ]);
        if (f) found = true;
      } else if (Array.isArray(v)) v.forEach((x) => visit(x, field));
      else if (v && typeof v === "object") for (const x of Object.values(v)) visit(x, field);
    };
    for (const [k, v] of Object.entries(input)) visit(v, k);
    return found;
  }

  async containerInput(input: Record<string, unknown>, origin: string): Promise<Record<string, unknown>> {
    const origins = this.origins(origin);
    const cb = this.opts.callbackBase();
    const limit = this.opts.inlineMaxBytes ?? INLINE_INPUT_MAX_BYTES;
    const map = async (v: Json): Promise<Json> => {
      if (typeof v === "string") {
        const f = this.ownFile(v, origins);
        if (!f) return v;
        if (cb && f.size > limit) return this.files.internalUrl(f, cb);
        return toDataUrl(f.contentType, await this.files.readBytes(f));
      }
      if (Array.isArray(v)) return Promise.all(v.map(map));
      if (v && typeof v === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) out[k] = await map(x);
        return out;
      }
      return v;
    };
    return (await map(input)) as Record<string, unknown>;
  }

  needsIngest(value: unknown): boolean {
    const cb = this.opts.callbackBase();
    const check = (v: Json): boolean => {
      if (typeof v === "string") return v.startsWith("data:") || (cb !== null && v.startsWith(cb + "/internal/"));
      if (Array.isArray(v)) return v.some(check);
      if (v && typeof v === "object") return Object.values(v).some(check);
      return false;
    };
    return check(value);
  }

  async ingestOutput(value: unknown, ctx: OutputContext): Promise<unknown> {
    const cb = this.opts.callbackBase();
    let dataIndex = 0;
    // The one resolver of server/contract: $ref, allOf and Optional (anyOf with null) as the form sees them.
    const doc: OpenApiDocument = { components: { schemas: ctx.components as Record<string, JsonSchema> } };
    const resolve = (s: unknown): JsonSchema | undefined => (isRecord(s) ? effectiveProperty(doc, s) : undefined);
    const fileSlot = (schema: JsonSchema | undefined): "yes" | "no" | "maybe" => {
      if (!schema || (schema.type === undefined && schema.format === undefined)) return "maybe";
      if (schema.format === "uri") return "yes";
      return schema.type === "string" ? "no" : "maybe";
    };
    const linked = (f: FileRecord) => {
      this.files.linkToPrediction(f.id, ctx.predictionId);
      return this.files.publicUrl(f, ctx.origin);
    };
    const str = async (s: string, schema: JsonSchema | undefined): Promise<string> => {
      if (cb && s.startsWith(cb + "/internal/")) {
        const path = s.slice(cb.length);
        let m = /^\/internal\/files\/([^/]+)/.exec(path);
        if (m) {
          const f = this.files.byToken(m[1]);
          return f ? linked(f) : s;
        }
        m = /^\/internal\/uploads\/([^/]+)\/([^/?#]+)/.exec(path);
        if (m) {
          const id = this.recentUploads.get(`${m[1]}/${decodeURIComponent(m[2])}`);
          const f = id ? this.files.byId(id) : null;
          return f ? linked(f) : s;
        }
        return s;
      }
      if (s.startsWith("data:") && fileSlot(schema) !== "no") {
        const d = parseDataUrl(s);
        // A "maybe" slot (no schema) holds a file only when it is base64, which Cog always uses.
        if (!d || (fileSlot(schema) === "maybe" && !/^data:[^,]*;base64,/.test(s.slice(0, 200)))) return s;
        const f = await this.files.create({
          kind: "output",
          name: nameForContentType(d.contentType, dataIndex++),
          contentType: d.contentType,
          body: d.bytes,
          predictionId: ctx.predictionId,
        });
        return this.files.publicUrl(f, ctx.origin);
      }
      return s;
    };
    const walk = async (v: Json, schemaIn: unknown): Promise<Json> => {
      const schema = resolve(schemaIn);
      if (typeof v === "string") return str(v, schema);
      if (Array.isArray(v)) {
        const out: Json[] = [];
        // In order, so data-URL names follow the output's order.
        for (const x of v) out.push(await walk(x, schema?.items));
        return out;
      }
      if (v && typeof v === "object") {
        const props: Record<string, unknown> = schema?.properties ?? {};
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) out[k] = await walk(x, props[k]);
        return out;
      }
      return v;
    };
    return walk(value, ctx.outputSchema);
  }

  deleteWithPrediction(predictionId: string, deleteRow: () => void): void {
    this.files.deletePrediction(predictionId, deleteRow);
  }

  async storeUpload(u: {
    uploadKey: string;
    name: string;
    contentType: string | null;
    body: ReadableStream<Uint8Array> | Uint8Array;
    predictionId: string | null;
  }): Promise<string> {
    const cb = this.opts.callbackBase();
    const f = await this.files.create({
      kind: "output",
      name: u.name,
      contentType: u.contentType || contentTypeForName(u.name),
      body: u.body,
      predictionId: u.predictionId,
    });
    this.recentUploads.set(`${u.uploadKey}/${f.name}`, f.id);
    if (this.recentUploads.size > 1000) this.recentUploads.delete(this.recentUploads.keys().next().value!);
    // The container reports this URL as the output; ingestOutput maps it to the public one.
    return this.files.internalUrl(f, cb ?? "");
  }
}
