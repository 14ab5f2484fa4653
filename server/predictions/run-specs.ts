// What the scheduler runs for a version: run specs (with the container command) and short-lived version and spec caches.
import { engineImageRef, type Version } from "../catalog/catalog.ts";
import type { RunSpec } from "../scheduler/scheduler.ts";
import { supportsAsync } from "./output-schema.ts";
import type { ServiceDeps } from "./service-deps.ts";

/**
 * Versions and run specs are looked up on every create; reading them from SQLite (and parsing the
 * schema JSON) was ~0.1 ms of the fast path. A change (re-import, setup failure, a policy edit)
 * takes effect within this long; the scheduler itself remembers setup failures at once.
 */
const LOOKUP_TTL_MS = 1000;

export class RunSpecs {
  private versionCache = new Map<string, { v: Version; at: number }>();
  private specCache = new Map<string, { spec: RunSpec; at: number }>();

  constructor(private deps: ServiceDeps) {}

  /** A version by id, `owner/name` (latest) or `owner/name:id`, from a short-lived cache. */
  resolveVersion(ref: string): Version {
    const now = Date.now();
    const hit = this.versionCache.get(ref);
    if (hit && now - hit.at < LOOKUP_TTL_MS) return hit.v;
    const v = this.deps.catalog.resolveVersionRef(ref);
    if (this.versionCache.size > 1000) this.versionCache.clear();
    this.versionCache.set(ref, { v, at: now });
    return v;
  }

  cachedSpec(v: Version, deployment?: string | null): RunSpec {
    const key = `${v.id}|${deployment ?? ""}`;
    const now = Date.now();
    const hit = this.specCache.get(key);
    if (hit && now - hit.at < LOOKUP_TTL_MS) return hit.spec;
    const spec = this.runSpec(v, deployment);
    if (this.specCache.size > 1000) this.specCache.clear();
    this.specCache.set(key, { spec, at: now });
    return spec;
  }

  /** Forgets the cached specs (their container command changes when the callback listener turns out unreachable). */
  clearSpecs(): void {
    this.specCache.clear();
  }

  /** What the scheduler runs for a prediction on `v` (through deployment `owner/name` when given). */
  runSpec(v: Version, deployment?: string | null): RunSpec {
    const p = this.deps.policy;
    const spec: RunSpec = this.deps.policies
      ? this.deps.policies.runSpec(v, deployment)
      : {
          versionId: v.id,
          model: v.model,
          image: engineImageRef(v),
          gpuCount: v.config.build?.gpu ? 1 : 0,
          concurrency: Math.max(1, Number(v.config.concurrency?.max ?? 1) || 1),
          maxQueue: p.maxQueue,
          idleTimeoutMs: p.idleTimeoutMs,
          setupTimeoutMs: p.setupTimeoutMs,
        };
    return this.withContainerCmd(spec, v);
  }

  /**
   * Adds the container command that points --upload-url at the callback listener. Real Cog images
   * run `python -m cog.server.http` under tini: replacing CMD keeps the entrypoint. The URL is
   * fixed per version, so every container of a version is alike. Also for specs made elsewhere
   * (keep-warm pools).
   */
  withContainerCmd(spec: RunSpec, v?: Version): RunSpec {
    const version = v ?? this.deps.catalog.findVersion(spec.versionId);
    const callbacks = this.deps.callbacks;
    const upload = version && callbacks?.reachable && supportsAsync(version.cogVersion) ? callbacks.uploadUrl(version.id) : null;
    return upload ? { ...spec, cmd: ["python", "-m", "cog.server.http", "--upload-url", upload] } : spec;
  }
}
