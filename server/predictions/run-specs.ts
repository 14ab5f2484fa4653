// Short-lived caches of versions and run specs, so the fast path reads neither from SQLite.
// The specs themselves (container command included) are built in one place: catalog/policy.ts.
import type { Version } from "../catalog/catalog.ts";
import type { RunSpec } from "../scheduler/scheduler.ts";
import type { ServiceDeps } from "./run-context.ts";

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

  /** What the scheduler runs for a prediction on `v` (through deployment `owner/name` when given), cached briefly. */
  cachedSpec(v: Version, deployment?: string | null): RunSpec {
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
