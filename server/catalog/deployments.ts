// Deployments (Replicate's /v1/deployments): a name bound to a model version with its own instances —
// hardware (a GPU selection), min_instances (keep warm) and max_instances (scale-out). All their SQL.
import type { DeploymentCreateBody, DeploymentUpdateBody } from "../contract/wire-deployment.ts";
import type { Db } from "../db/database.ts";
import { conflict, type FieldError, invalidInput, notFound } from "../errors.ts";
import type { GpuInventory } from "../runtime/gpus.ts";
import { hardwareList } from "../runtime/hardware.ts";
import { type Catalog, parseModelName } from "./catalog.ts";

export interface Deployment {
  id: number;
  owner: string;
  name: string;
  modelId: number;
  model: string; // owner/name of the model
  versionId: string;
  hardware: string;
  minInstances: number;
  maxInstances: number;
  releaseNumber: number;
  createdAt: string;
  releaseCreatedAt: string;
}

interface Row {
  id: number;
  owner: string;
  name: string;
  model_id: number;
  version_id: string;
  hardware: string;
  min_instances: number;
  max_instances: number;
  release_number: number;
  created_at: string;
  release_created_at: string;
  model_owner: string;
  model_name: string;
}

const SELECT = "SELECT d.*, m.owner AS model_owner, m.name AS model_name FROM deployments d JOIN models m ON m.id = d.model_id";

function toDeployment(r: Row): Deployment {
  return {
    id: r.id,
    owner: r.owner,
    name: r.name,
    modelId: r.model_id,
    model: `${r.model_owner}/${r.model_name}`,
    versionId: r.version_id,
    hardware: r.hardware,
    minInstances: r.min_instances,
    maxInstances: r.max_instances,
    releaseNumber: r.release_number,
    createdAt: r.created_at,
    releaseCreatedAt: r.release_created_at,
  };
}

export class Deployments {
  constructor(
    private db: Db,
    private catalog: Catalog,
    private inventory: GpuInventory,
  ) {}

  list(): Deployment[] {
    return (this.db.query(`${SELECT} ORDER BY d.created_at DESC, d.id DESC`).all() as Row[]).map(toDeployment);
  }

  find(owner: string, name: string): Deployment | null {
    const r = this.db.query(`${SELECT} WHERE d.owner = ? AND d.name = ?`).get(owner, name) as Row | null;
    return r ? toDeployment(r) : null;
  }

  get(owner: string, name: string): Deployment {
    const d = this.find(owner, name);
    if (!d) throw notFound(`Deployment ${owner}/${name} not found`);
    return d;
  }

  /** Body as Replicate's clients send it, checked against DeploymentCreate (names, counts). */
  create(b: DeploymentCreateBody): Deployment {
    const { owner: mOwner, name: mName } = parseModelName(b.model);
    const model = this.catalog.getModel(mOwner, mName);
    // Replicate puts deployments under the caller's account; modelhub has none, so the model's owner is the default.
    const dOwner = b.owner ?? mOwner;
    if (this.find(dOwner, b.name)) throw conflict(`Deployment ${dOwner}/${b.name} already exists`);
    const c = this.checkFields(b, { versionId: null, modelId: model.id, hardware: "cpu", min: 0, max: 1 }, true);
    const now = new Date().toISOString();
    this.db
      .query(
        "INSERT INTO deployments (owner, name, model_id, version_id, hardware, min_instances, max_instances, release_number, created_at, release_created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
      )
      .run(dOwner, b.name, model.id, c.versionId!, c.hardware, c.min, c.max, now, now);
    return this.get(dOwner, b.name);
  }

  /** Any of {version, hardware, min_instances, max_instances} (checked against DeploymentUpdate); each change is a new release. */
  update(owner: string, name: string, f: DeploymentUpdateBody): Deployment {
    const d = this.get(owner, name);
    if (f.model !== undefined && f.model !== d.model)
      throw invalidInput("a deployment's model cannot change; create a new deployment", [{ field: "model", rule: "immutable", message: "cannot change" }]);
    const c = this.checkFields(f, { versionId: d.versionId, modelId: d.modelId, hardware: d.hardware, min: d.minInstances, max: d.maxInstances }, false);
    this.db
      .query("UPDATE deployments SET version_id = ?, hardware = ?, min_instances = ?, max_instances = ?, release_number = release_number + 1, release_created_at = ? WHERE id = ?")
      .run(c.versionId!, c.hardware, c.min, c.max, new Date().toISOString(), d.id);
    return this.get(owner, name);
  }

  delete(owner: string, name: string): void {
    const d = this.get(owner, name);
    this.db.query("DELETE FROM deployments WHERE id = ?").run(d.id);
  }

  /** What the wire schema cannot know: the version belongs to the model, the SKU fits this machine, min ≤ max. */
  private checkFields(
    f: DeploymentUpdateBody,
    cur: { versionId: string | null; modelId: number; hardware: string; min: number; max: number },
    creating: boolean,
  ): { versionId: string | null; hardware: string; min: number; max: number } {
    const errors: FieldError[] = [];
    let versionId = cur.versionId;
    if (f.version !== undefined) {
      // Accept "id" or "owner/name:id" like POST /v1/predictions does.
      const id = f.version.includes(":") ? f.version.slice(f.version.lastIndexOf(":") + 1) : f.version;
      const v = this.catalog.findVersion(id);
      if (!v || v.modelId !== cur.modelId) errors.push({ field: "version", rule: "exists", message: `version ${id} is not a version of this model` });
      else versionId = v.id;
    } else if (creating) {
      const latest = this.catalog.latestVersion(cur.modelId);
      if (!latest) errors.push({ field: "version", rule: "required", message: "is required (the model has no versions yet)" });
      else versionId = latest.id;
    }
    let hardware = cur.hardware;
    if (f.hardware !== undefined) {
      const skus = hardwareList(this.inventory).map((h) => h.sku);
      if (!skus.includes(f.hardware)) errors.push({ field: "hardware", rule: "enum", message: `must be one of ${skus.join(", ")} (GET /v1/hardware)` });
      else hardware = f.hardware;
    }
    const min = f.min_instances ?? cur.min;
    const max = f.max_instances ?? (f.min_instances !== undefined ? Math.max(cur.max, min) : cur.max);
    if (min > max) errors.push({ field: "min_instances", rule: "range", message: `is ${min} but max_instances is ${max}` });
    if (errors.length) throw invalidInput(`Invalid deployment: ${errors.map((e) => `${e.field} ${e.message}`).join("; ")}`, errors);
    return { versionId, hardware, min, max };
  }
}
