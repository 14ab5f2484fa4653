// Short-lived caches of versions and run specs, so the fast path reads neither from SQLite.
// The specs themselves (container command included) are built in one place: catalog/policy.ts.
import type { Version } from "../catalog/catalog.ts";
import type { RunSpec } from "../scheduler/scheduler.ts";
import type { ServiceDeps } from "./run-context.ts";

/**
 * Versions and run specs are looked up on every create; reading them from SQLite (and parsing the
 * schema JSON) was ~0.1 ms of the fast path. A policy edit or a setup failure takes effect within
 * this long (the scheduler itself remembers setup failures at once); a deleted or added model or
 * version at once, through the catalog's revision.
 */
const LOOKUP_TTL_MS = 1000;

export class RunSpecs {
  private versionCache = new Map<string, { v: Version; at: number }>();
  private specCache = new Map<string, { spec: RunSpec; at: number }>();
  /** the catalog revision the caches were filled at */
  private seen = -1;

  constructor(private deps: ServiceDeps) {}

  /** Drops everything cached when the catalog changed since (a model or version deleted or added). */
  private sync(): void {
    const rev = this.deps.catalog.revision;
    if (rev === this.seen) return;
    this.versionCache.clear();
    this.specCache.clear();
    this.seen = rev;
  }

  /** A version by id, `owner/name` (latest) or `owner/name:id`, from a short-lived cache. */
  resolveVersion(ref: string): Version {
    this.sync();
    const now = Date.now();
    const hit = this.versionCache.get(ref);
    if (hit && now - hit.at < LOOKUP_TTL_MS) return hit.v;
    const v = this.deps.catalog.resolveVersionRef(ref);
    if (this.versionCache.size > 1000) this.versionCache.clear();
    this.versionCache.set(ref, { v, at: now });
    // Also by id, which create() asks for again (stillListed) right before it starts anything.
    if (!this.versionCache.has(v.id)) this.versionCache.set(v.id, { v, at: now });
    return v;
  }

  /**
   * Throws the catalog's 404 when `v` was deleted since the request resolved it (a DELETE while the
   * request awaited the engine or a webhook check): nothing is stored and no container starts.
   * A map lookup on the fast path.
   */
  stillListed(v: Version): void {
    this.resolveVersion(v.id);
  }

  /** What the scheduler runs for a prediction on `v` (through deployment `owner/name` when given), cached briefly. */
  cachedSpec(v: Version, deployment?: string | null): RunSpec {
    this.sync();
    const key = `${v.id}|${deployment ?? ""}`;
    const now = Date.now();
    const hit = this.specCache.get(key);
    if (hit && now - hit.at < LOOKUP_TTL_MS) return hit.spec;
    const spec = this.deps.policies.runSpec(v, deployment);
    if (this.specCache.size > 1000) this.specCache.clear();
    this.specCache.set(key, { spec, at: now });
    return spec;
  }

  /** Forgets the cached specs (their container command changes when the callback listener turns out unreachable). */
  clearSpecs(): void {
    this.specCache.clear();
  }
}
