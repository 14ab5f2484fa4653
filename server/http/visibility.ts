// What a caller may see, applied by the route handlers: a model, version, prediction or upload the
// caller may not see answers exactly as one that does not exist (404 with the same words), so a
// private model's name cannot be probed.
import type { ModelRow, Version } from "../catalog/catalog.ts";
import { canReadPrediction, canSeeModel, owns } from "../auth/caller.ts";
import { notFound } from "../errors.ts";
import type { FileRecord } from "../files/store.ts";
import type { PredictionRecord } from "../predictions/store.ts";
import { callerOf } from "./access-guard.ts";
import type { HttpDeps } from "./http-context.ts";

export function visibleModel(d: HttpDeps, request: Request, owner: string, name: string): ModelRow {
  const m = d.catalog.getModel(owner, name);
  if (!canSeeModel(callerOf(request), m)) throw notFound(`Model ${owner}/${name} not found`);
  return m;
}

/** "owner/name" of a stored prediction or version: visible when its model is (a deleted model's rows stay the admins'). */
export function modelVisible(d: HttpDeps, request: Request, full: string): boolean {
  const c = callerOf(request);
  const slash = full.indexOf("/");
  const m = d.catalog.findModel(full.slice(0, slash), full.slice(slash + 1));
  return m ? canSeeModel(c, m) : c.role === "admin";
}

/** A version resolved from a request (by id, owner/name or owner/name:id) that the caller may run. */
export function visibleVersion(d: HttpDeps, request: Request, v: Version, asked: string): Version {
  if (!modelVisible(d, request, v.model)) throw notFound(`Model or version ${asked} not found`);
  return v;
}

/**
 * A prediction the caller may read ("read": its own, or any of a model whose predictions are public)
 * or act on ("act": cancel — only its own). Either way the model must be visible to the caller.
 */
export function visiblePrediction(d: HttpDeps, request: Request, p: PredictionRecord, mode: "read" | "act" = "read"): PredictionRecord {
  const c = callerOf(request);
  const slash = p.model.indexOf("/");
  const m = d.catalog.findModel(p.model.slice(0, slash), p.model.slice(slash + 1));
  const allowed = mode === "act" ? owns(c, p) : canReadPrediction(c, p, m);
  if (!allowed || !modelVisible(d, request, p.model)) throw notFound(`Prediction ${p.id} not found`);
  return p;
}

export function visibleUpload(request: Request, f: FileRecord): FileRecord {
  if (!owns(callerOf(request), f)) throw notFound(`File ${f.id} not found`);
  return f;
}
