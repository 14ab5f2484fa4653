// The web UI's client for modelhub's public /v1 API: JSON in and out, the signed-in token sent as
// a Bearer header, problem bodies turned into errors that keep the per-field details of a 422.
import type { Static } from "elysia";
import type { Problem } from "../../server/contract/wire-common.ts";
import type { Model, Version } from "../../server/contract/wire-model.ts";
import type { Prediction } from "../../server/contract/wire-prediction.ts";
import { Store } from "./store.ts";

export type PredictionJson = Static<typeof Prediction>;
export type ModelJson = Static<typeof Model>;
export type VersionJson = Static<typeof Version>;
export type FieldProblem = NonNullable<Static<typeof Problem>["invalid_fields"]>[number];
export interface PageJson<T> {
  next: string | null;
  previous: string | null;
  results: T[];
}
export type Status = PredictionJson["status"];
export const TERMINAL: ReadonlySet<string> = new Set(["succeeded", "failed", "canceled"]);

const TOKEN_KEY = "modelhub.token";
/** The token the user signed in with (kept in localStorage, as the tokens API agrees). */
export const token = new Store<string | null>(readToken());
/** Set when the server answered 401: the shell shows the sign-in page. */
export const needsSignIn = new Store(false);

function readToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(value: string | null): void {
  try {
    if (value) localStorage.setItem(TOKEN_KEY, value);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {}
  token.set(value);
}

export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly fields: FieldProblem[] = []) {
    super(message);
  }
}

export function authHeaders(): Record<string, string> {
  const t = token.get();
  return t ? { authorization: `Bearer ${t}` } : {};
}

async function parse<T>(res: Response): Promise<T> {
  const text = await res.text();
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (res.status === 401) needsSignIn.set(true);
  if (!res.ok) throw new HttpError(res.status, data?.detail ?? data?.title ?? `HTTP ${res.status}`, data?.invalid_fields ?? []);
  return data as T;
}

/** `path` may be an absolute URL of this server (the API's `next` cursors are). */
export async function api<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...authHeaders(), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return parse<T>(res);
}

export interface UploadedFile {
  id: string;
  name: string;
  content_type: string;
  size: number;
  urls: { get: string };
}

/** POST /v1/files (multipart, the file in `content`) with upload progress; XHR because fetch has none. */
export function uploadFile(file: File, onProgress: (fraction: number) => void, signal?: AbortSignal): Promise<UploadedFile> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/v1/files");
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => parse<UploadedFile>(new Response(xhr.responseText, { status: xhr.status })).then(resolve, reject);
    xhr.onerror = () => reject(new HttpError(0, "The upload failed: the server could not be reached"));
    xhr.onabort = () => reject(new HttpError(0, "Upload canceled"));
    signal?.addEventListener("abort", () => xhr.abort());
    const form = new FormData();
    form.append("content", file, file.name);
    xhr.send(form);
  });
}
