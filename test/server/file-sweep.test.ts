// Files a container stores with its upload URL but no prediction claims are swept; files that
// belong to a prediction, and uploads people made, are not.
import { expect, it } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { openDatabase } from "../../server/db/database.ts";
import { BlobDir } from "../../server/files/blobs.ts";
import { FileService } from "../../server/files/service.ts";
import { FileStore } from "../../server/files/store.ts";
import { tempDir } from "../helpers/temp-dir.ts";

it("deletes unclaimed output files older than the grace period, with their bytes", async () => {
  using dir = tempDir("modelhub-sweep-");
  const db = openDatabase(join(dir.path, "m.db"));
  const svc = new FileService(new FileStore(db), new BlobDir(join(dir.path, "files")), 1024 * 1024);
  const body = () => new TextEncoder().encode("x");
  db.query("INSERT INTO predictions (id, model, version_id, input, status, created_at, metrics, stream_token) VALUES ('p1', 'a/b', 'v', '{}', 'succeeded', ?, '{}', 't1')").run(new Date().toISOString());
  const orphan = await svc.create({ kind: "output", name: "o.png", contentType: "image/png", body: body() });
  const claimed = await svc.create({ kind: "output", name: "c.png", contentType: "image/png", body: body(), predictionId: "p1" });
  const upload = await svc.create({ kind: "upload", name: "u.txt", contentType: "text/plain", body: body() });
  expect(svc.sweepUnlinkedOutputs(60_000)).toBe(0); // still within its hour to be claimed
  expect(svc.sweepUnlinkedOutputs(60_000, Date.now() + 120_000)).toBe(1);
  expect(svc.byToken(orphan.token)).toBeNull();
  expect(existsSync(svc.blobPath(orphan))).toBe(false);
  expect(svc.byToken(claimed.token)).not.toBeNull();
  expect(svc.byToken(upload.token)).not.toBeNull();
  db.close();
});
