// Models, versions and collections as Replicate-shaped JSON (the wire schemas in
// server/contract/wire-model.ts and wire-account.ts), with absolute URLs on the public origin.
import type { Static } from "elysia";
import type { ModelRow, Version } from "../catalog/catalog.ts";
import type { Collection, CollectionDetail } from "../contract/wire-account.ts";
import type { Model, Version as VersionWire } from "../contract/wire-model.ts";
import { isCogletBuild, runtimeCaveat } from "../cog/detected-line.ts";
import { hardwareSku } from "../runtime/hardware.ts";
import type { HttpDeps, PushedVersions } from "./http-context.ts";
import type { SchedulingDeps } from "./scheduling-context.ts";
import { JSON_HEADERS } from "./respond.ts";

export type ModelJson = Static<typeof Model>;
export type VersionJson = Static<typeof VersionWire>;
export type CollectionJson = Static<typeof Collection>;
export type CollectionDetailJson = Static<typeof CollectionDetail>;

/**
 * The Cog server a version runs: what a running container of it answered as (`running`, e.g.
 * "coglet 0.22.0" or "python"), else what its run.cog.version label implies (coglet from 0.17).
 */
export function cogRuntime(v: Version, running?: string): NonNullable<VersionJson["cog_runtime"]> {
  const caveat = runtimeCaveat(v.cogVersion);
  const warning = caveat ? { warning: caveat } : {};
  if (running) {
    const [line, ver] = running.split(" ");
    return { line: line === "coglet" ? "coglet" : "python", source: "container", server_version: ver ?? null, ...warning };
  }
  return { line: isCogletBuild(v.cogVersion) ? "coglet" : "python", source: "label", server_version: null, ...warning };
}

export function presentVersion(v: Version, pushed?: PushedVersions, running?: string): VersionJson {
  const json: VersionJson = {
    id: v.id,
    created_at: v.createdAt,
    cog_version: v.cogVersion,
    openapi_schema: v.openapiSchema,
    image: v.image,
    cog_runtime: cogRuntime(v, running),
  };
  const state = pushed?.importState(v.id);
  if (state) json.import = state;
  return json;
}

export function presentModel(
  m: ModelRow,
  x: { latest: Version | null; runCount: number; hardware: string | null; origin: string; pushed?: PushedVersions },
): ModelJson {
  return {
    // the model's page in the web UI (under /models/: a bare /owner/name would shadow /v1/...)
    url: `${x.origin}/models/${m.owner}/${m.name}`,
    owner: m.owner,
    name: m.name,
    description: m.description,
    visibility: m.visibility,
    predictions_visibility: m.predictions_visibility,
    github_url: m.github_url,
    paper_url: m.paper_url,
    license_url: m.license_url,
    cover_image_url: m.cover_image_url,
    run_count: x.runCount,
    is_official: false,
    default_example: null,
    latest_version: x.latest ? presentVersion(x.latest, x.pushed) : null,
    created_at: m.created_at,
    hardware: x.hardware,
  };
}

/**
 * What a model runs on, as a hardware SKU: the run policy in force for its latest version (the
 * image's build.gpu unless a policy or `hardware` says otherwise), or what was asked for before any
 * version exists. Null without the scheduling routes (some tests), or with no choice made yet.
 */
export function hardwareOf(s: SchedulingDeps | undefined, m: ModelRow, latest: Version | null): string | null {
  if (!s) return null;
  if (latest) {
    const e = s.policies.effective(latest);
    return hardwareSku({ gpus: e.gpus, pinned: e.pinnedGpus.length ? e.pinnedGpus : null });
  }
  const p = s.policies.stored(m.id);
  if (p.gpus === null && !p.pinnedGpus?.length) return null;
  return hardwareSku({ gpus: p.gpus ?? p.pinnedGpus!.length, pinned: p.pinnedGpus?.length ? p.pinnedGpus : null });
}

/** presentModel with everything looked up: latest version, run count, hardware. */
export function modelJson(d: HttpDeps, s: SchedulingDeps | undefined, m: ModelRow, origin: string): ModelJson {
  const latest = d.catalog.latestVersion(m.id);
  return presentModel(m, { latest, runCount: d.predictionStore.countByModel(`${m.owner}/${m.name}`), hardware: hardwareOf(s, m, latest), origin, pushed: d.pushedVersions });
}

/** modelJson for a page of models, with their latest versions and run counts read in one query each. */
export function modelJsons(d: HttpDeps, s: SchedulingDeps | undefined, models: readonly ModelRow[], origin: string): ModelJson[] {
  const latest = d.catalog.latestVersions(models.map((m) => m.id));
  const runs = d.predictionStore.countsByModel(models.map((m) => `${m.owner}/${m.name}`));
  return models.map((m) => {
    const v = latest.get(m.id) ?? null;
    return presentModel(m, { latest: v, runCount: runs.get(`${m.owner}/${m.name}`) ?? 0, hardware: hardwareOf(s, m, v), origin, pushed: d.pushedVersions });
  });
}

/** Schemas are frozen and shared per version (Catalog parses each once): their JSON text is too. */
const schemaTexts = new WeakMap<object, string>();

/**
 * A page of models as a JSON response. The versions' OpenAPI schemas are most of its bytes (~6 KB
 * a model) and never change, so each is written into the text from a cache instead of being
 * serialized again on every list (100 models: about two thirds of the request's time).
 */
export function modelsPageResponse(body: { next: string | null; previous: null; results: ModelJson[] }): Response {
  const mark = `@@schema-${crypto.randomUUID()}-`;
  const texts: string[] = [];
  const text = JSON.stringify(body, (key, value: unknown) => {
    if (key !== "openapi_schema" || typeof value !== "object" || value === null || !Object.isFrozen(value)) return value;
    let t = schemaTexts.get(value);
    if (t === undefined) schemaTexts.set(value, (t = JSON.stringify(value)));
    texts.push(t);
    return `${mark}${texts.length - 1}`;
  });
  // The marks come out in the order they were made: splice each schema's text in its place.
  const parts: string[] = [];
  let pos = 0;
  for (const [i, t] of texts.entries()) {
    const token = `"${mark}${i}"`;
    const at = text.indexOf(token, pos);
    if (at < 0) return new Response(JSON.stringify(body), { headers: JSON_HEADERS });
    parts.push(text.slice(pos, at), t);
    pos = at + token.length;
  }
  parts.push(text.slice(pos));
  return new Response(parts.join(""), { headers: JSON_HEADERS });
}

