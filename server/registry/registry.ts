// Builds the registry from its parts: files under <data-dir>/registry, SQL, upload sessions, the
// access rules, engine imports and housekeeping. One owner for each piece of state.
import { join } from "node:path";
import type { Catalog } from "../catalog/catalog.ts";
import type { Db } from "../db/database.ts";
import type { Logger } from "../log.ts";
import { type RegistryAccessPolicy, RegistryAccess } from "./access.ts";
import { BlobFiles } from "./blob-files.ts";
import type { ImageExporter } from "./engine-export.ts";
import { EngineImports, type ImagePuller, type ImportMode } from "./engine-import.ts";
import { RegistryHousekeeping } from "./housekeeping.ts";
import { RegistryService } from "./registry-service.ts";
import { RegistryStore } from "./registry-store.ts";
import { UploadSessions } from "./upload-sessions.ts";

export interface Registry {
  service: RegistryService;
  access: RegistryAccess;
  store: RegistryStore;
  files: BlobFiles;
  housekeeping: RegistryHousekeeping;
  /** set by the server once it listens: imports start from then on */
  attachEngine(address: string, engine: ImagePuller & ImageExporter): EngineImports;
  imports(): EngineImports | null;
  /**
   * Where a node's engine can pull an image from this registry: for a pushed version's reference
   * (`<host>/<owner>/<model>@sha256:<version>`), its repository, manifest digest and the image id
   * the engine will know it by; null for anything the registry does not hold.
   */
  nodeSource(image: string): { repo: string; manifestDigest: string; engineRef: string } | null;
  /** X-Registry-Auth for a node pulling `repo`: a short-lived pull token; null when the registry is open */
  nodePullAuth(repo: string): { registrytoken: string } | null;
  diskUsage(): { blobs: number; blob_bytes: number; upload_bytes: number; uploads_in_progress: number };
  close(): void;
}

export function openRegistry(o: { db: Db; catalog: Catalog; dir: string; logger: Logger; policy: RegistryAccessPolicy; importMode?: ImportMode; uploadIdleMs?: number }): Registry {
  const store = new RegistryStore(o.db);
  const files = new BlobFiles(o.dir);
  const uploads = new UploadSessions(files, o.uploadIdleMs);
  const access = new RegistryAccess(o.policy);
  let address: string | null = null;
  let imports: EngineImports | null = null;
  let exporter: ImageExporter | null = null;
  const service = new RegistryService({
    catalog: o.catalog,
    store,
    files,
    uploads,
    imports: () => imports,
    engineAddress: () => address,
    exporter: () => exporter,
    logger: o.logger,
  });
  const housekeeping = new RegistryHousekeeping(store, files, uploads, o.logger);
  return {
    service,
    access,
    store,
    files,
    housekeeping,
    attachEngine(addr, engine) {
      address = addr;
      exporter = engine;
      imports = new EngineImports(
        store,
        engine,
        o.logger,
        () => (access.required ? { username: "modelhub", password: access.internalSecret, serveraddress: addr } : null),
        { mode: o.importMode ?? "pull", files },
      );
      imports.resume((id) => o.catalog.findVersion(id)?.image ?? null);
      return imports;
    },
    imports: () => imports,
    nodeSource(image) {
      const m = NODE_PULLABLE.exec(image);
      const row = m ? store.version(m[3]) : null;
      if (!m || !row || row.repo !== m[2] || !imports) return null;
      const engineRef = imports.engineRef(image);
      return engineRef === image ? null : { repo: row.repo, manifestDigest: `sha256:${m[3]}`, engineRef };
    },
    nodePullAuth: (repo) => (access.required ? { registrytoken: access.pullToken(repo) } : null),
    diskUsage() {
      const u = files.diskUsage();
      return { blobs: u.blobs, blob_bytes: u.blobBytes, upload_bytes: u.uploadBytes, uploads_in_progress: uploads.count };
    },
    close() {
      housekeeping.stop();
      imports?.close();
    },
  };
}

/** A pushed version's engine reference: host/owner/model@sha256:<version id>. */
const NODE_PULLABLE = /^([^/]+)\/([^@]+)@sha256:([a-f0-9]{64})$/;

export const registryDir = (dataDir: string) => join(dataDir, "registry");
