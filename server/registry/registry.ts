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

export const registryDir = (dataDir: string) => join(dataDir, "registry");
