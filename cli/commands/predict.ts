// `modelhub predict MODEL[:VERSION] -i name=value ...`, like `cog predict`: inputs typed and checked
// with the schema module the server and the web form use (a mistake is reported per field before
// anything runs), `@file` inputs uploaded through /v1/files and passed by URL, then the prediction
// followed live over its SSE stream: text from an iterator goes to stdout as it arrives, logs to
// stderr, file outputs into output.<ext> files. Ctrl-C cancels it on the server.
import { existsSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { isFileOutput, isIteratorOutput, type OpenApiDocument, outputSchema } from "../../server/contract/cog-schema.ts";
import { coerceFormValues, type FormValue } from "../../server/contract/form-values.ts";
import { type FileLike, validateInput } from "../../server/contract/input-validation.ts";
import { ApiError, type Client } from "../client.ts";
import { readSse } from "../sse.ts";
import { parseModelRef, UsageError } from "../usage.ts";

export const PREDICT_USAGE = "modelhub predict MODEL[:VERSION] -i name=value [-i name=@file ...]";

const MIME: Record<string, string> = {
  ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
  ".wav": "audio/wav", ".mp3": "audio/mpeg", ".mp4": "video/mp4", ".txt": "text/plain", ".json": "application/json",
};
const EXT: Record<string, string> = Object.fromEntries(Object.entries(MIME).map(([e, m]) => [m, e]));

/** An invalid input value: reported per field, nothing run (exit 1, as a failed check). */
export class InputError extends Error {}

/** A `-i name=@path` file, uploaded once the inputs are known to be valid. */
export class LocalFile implements FileLike {
  constructor(readonly path: string, readonly size: number) {}
  get name() {
    return basename(this.path);
  }
  get type() {
    return MIME[extname(this.path).toLowerCase()] ?? "application/octet-stream";
  }
}

/**
 * `-i name=value` pairs → form values: `@path` is a LocalFile (a missing one is a usage error naming
 * it), surrounding quotes are stripped, a repeated name makes a list.
 */
export function readInputs(pairs: readonly string[], stat: (path: string) => number | null = statSize): Record<string, FormValue> {
  const out: Record<string, string | FileLike | (string | FileLike)[]> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`-i takes name=value, got "${pair}" (e.g. -i prompt="a cat" or -i image=@photo.jpg)`);
    const name = pair.slice(0, eq);
    let value: string | FileLike = pair.slice(eq + 1);
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    else if (value.startsWith("@")) {
      const path = value.slice(1);
      const size = stat(path);
      if (size === null) throw new UsageError(`-i ${name}=@${path}: no such file: ${path}`);
      value = new LocalFile(path, size);
    }
    const prev = out[name];
    out[name] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
  }
  return out;
}

function statSize(path: string): number | null {
  try {
    const s = statSync(path);
    return s.isFile() ? s.size : null;
  } catch {
    return null;
  }
}

/** Uploads every LocalFile in `v` (once each) and puts its URL in its place. */
async function uploadFiles(client: Client, v: unknown, done = new Map<LocalFile, string>()): Promise<unknown> {
  if (v instanceof LocalFile) {
    let url = done.get(v);
    if (!url) {
      const form = new FormData();
      form.append("content", Bun.file(v.path, { type: v.type }), v.name);
      const res = await client.raw("POST", "/v1/files", { body: form });
      url = ((await res.json()) as { urls: { get: string } }).urls.get;
      done.set(v, url);
    }
    return url;
  }
  if (Array.isArray(v)) return Promise.all(v.map((x) => uploadFiles(client, x, done)));
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = await uploadFiles(client, x, done);
    return out;
  }
  return v;
}

export interface Prediction {
  id: string;
  status: string;
  output: unknown;
  logs: string | null;
  error: string | null;
  urls: { web?: string; stream?: string; get?: string; cancel?: string };
}

export interface PredictOptions {
  outputDir: string;
  /** -o PATH: the output file's name (a list gets PATH's stem + .<i> + its extension), like cog predict -o */
  outputPath?: string;
  force: boolean;
  quiet: boolean;
  json: boolean;
  noWait: boolean;
}

export interface Io {
  /** stdout, as given (no newline added) */
  out(s: string): void;
  /** one line on stderr */
  err(s: string): void;
  /** called with a cancel function once the prediction exists (it resolves once the cancel request is answered or failed); returns an unsubscribe */
  onInterrupt?(handler: () => Promise<void>): () => void;
}

const TERMINAL = new Set(["succeeded", "failed", "canceled"]);

export async function predict(client: Client, ref: string, pairs: readonly string[], opts: PredictOptions, io: Io): Promise<number> {
  const { owner, name, version: versionId } = parseModelRef(ref, PREDICT_USAGE);
  const values = readInputs(pairs); // before any request: a missing file is a usage error
  const version = versionId
    ? await client.request<{ id: string; openapi_schema: OpenApiDocument }>("GET", `/v1/models/${owner}/${name}/versions/${versionId}`)
    : (await client.request<{ latest_version: { id: string; openapi_schema: OpenApiDocument } | null }>("GET", `/v1/models/${owner}/${name}`)).latest_version;
  if (!version) throw new InputError(`${owner}/${name} has no version yet: add one with modelhub models add IMAGE --name ${owner}/${name}`);
  const schema = version.openapi_schema;

  const checked = validateInput(schema, coerceFormValues(schema, values), { allowFileObjects: true });
  if (!checked.ok) {
    for (const e of checked.errors) io.err(`  ${e.field}: ${e.message}`);
    throw new InputError(`invalid input for ${owner}/${name} (nothing was run)`);
  }
  for (const k of checked.ignored) io.err(`warning: ${owner}/${name} has no input "${k}"; it is ignored`);
  const input = (await uploadFiles(client, checked.value)) as Record<string, unknown>;

  let p = await client.request<Prediction>("POST", "/v1/predictions", { version: version.id, input });
  if (opts.noWait) {
    io.out(opts.json ? JSON.stringify(p, null, 2) + "\n" : `${p.id}\n`);
    return 0;
  }
  if (!opts.quiet) io.err(`prediction ${p.id} started: ${p.urls.web ?? p.id} (Ctrl-C cancels it)`);

  const outSchema = outputSchema(schema);
  const liveText = !opts.json && isIteratorOutput(outSchema) && !isFileOutput(outSchema);
  const stringItems = (outSchema?.items as { type?: string } | undefined)?.type === "string";
  let streamed = "";
  const stream = new AbortController();
  let canceling = false;
  let cancelSent: Promise<void> = Promise.resolve();
  const off = io.onInterrupt?.(() => {
    if (canceling) return cancelSent;
    canceling = true;
    io.err(`Canceling prediction ${p.id} on the server... (Ctrl-C again leaves without waiting)`);
    cancelSent = client.request("POST", `/v1/predictions/${p.id}/cancel`).then(
      () => {},
      (e: Error) => io.err(`could not cancel ${p.id}: ${e.message}`),
    );
    return cancelSent;
  });
  try {
    if (p.urls.stream && !TERMINAL.has(p.status)) {
      try {
        const res = await client.raw("GET", p.urls.stream, { headers: { accept: "text/event-stream" }, signal: stream.signal });
        for await (const e of readSse(res.body!)) {
          if (e.event === "output" && liveText) {
            const text = stringItems ? e.data : e.data + "\n";
            streamed += text;
            io.out(text);
          } else if (e.event === "logs" && !opts.quiet) io.err(e.data);
          else if (e.event === "done") break;
        }
      } catch (err) {
        // A dropped stream is not the prediction's failure: fall back to asking for its state.
        if (!(err instanceof ApiError) && (err as Error).name !== "AbortError") io.err(`(live stream interrupted: ${(err as Error).message}; waiting for the result)`);
      } finally {
        stream.abort();
      }
    }
    p = await client.request<Prediction>("GET", `/v1/predictions/${p.id}`);
    while (!TERMINAL.has(p.status)) {
      await Bun.sleep(500);
      p = await client.request<Prediction>("GET", `/v1/predictions/${p.id}`);
    }
  } finally {
    off?.();
  }

  if (streamed && !streamed.endsWith("\n")) io.out("\n");
  if (opts.json) {
    io.out(JSON.stringify(p, null, 2) + "\n");
    return p.status === "succeeded" ? 0 : 1;
  }
  io.err(`${p.status}: ${p.urls.web ?? p.id}`);
  if (p.status !== "succeeded") {
    if (p.error) io.err(`error: ${p.error}`);
    return 1;
  }
  if (streamed) return 0;
  const o = p.output;
  const urls = fileUrls(o, isFileOutput(outSchema));
  if (urls) {
    for (const path of await writeOutputs(client, urls, Array.isArray(o), opts)) io.out(`${path}\n`);
    return 0;
  }
  if (typeof o === "string") io.out(o + "\n");
  else if (Array.isArray(o) && o.every((x) => typeof x === "string")) io.out(o.join(isIteratorOutput(outSchema) ? "" : "\n") + "\n");
  else if (o !== null && o !== undefined) io.out(JSON.stringify(o, null, 2) + "\n");
  return 0;
}

/** The output's file URLs when it is a file or a list of files (by the schema, or by its values). */
function fileUrls(o: unknown, bySchema: boolean): string[] | null {
  const list = Array.isArray(o) ? o : [o];
  if (!list.length || !list.every((x) => typeof x === "string" && /^(https?:\/\/|data:)/.test(x))) return null;
  if (!bySchema && !list.every((x) => /^data:|\/files\//.test(x as string))) return null;
  return list as string[];
}

/** output.<ext>, or output.<i>.<ext> for a list, in --output-dir; refuses to overwrite without --force. */
async function writeOutputs(client: Client, urls: string[], isList: boolean, opts: PredictOptions): Promise<string[]> {
  const responses = await Promise.all(urls.map((u) => client.raw("GET", u)));
  const paths = responses.map((res, i) => {
    const fromName = extname(new URL(res.url || urls[i]).pathname.split("/").pop() ?? "");
    const ext = fromName || EXT[(res.headers.get("content-type") ?? "").split(";")[0].trim()] || "";
    if (opts.outputPath) {
      if (!isList) return opts.outputPath;
      const given = extname(opts.outputPath);
      return `${given ? opts.outputPath.slice(0, -given.length) : opts.outputPath}.${i}${given || ext}`;
    }
    return join(opts.outputDir, `output${isList ? `.${i}` : ""}${ext}`);
  });
  const taken = paths.filter((p) => existsSync(p));
  if (taken.length && !opts.force) {
    for (const r of responses) await r.body?.cancel();
    throw new Error(`${taken.join(", ")} already exist${taken.length === 1 ? "s" : ""}; pass --force to overwrite, or --output-dir DIR. The output stays at: ${urls.join(" ")}`);
  }
  for (let i = 0; i < paths.length; i++) await Bun.write(paths[i], responses[i]);
  return paths;
}
