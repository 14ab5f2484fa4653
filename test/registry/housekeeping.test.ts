// Housekeeping: upload files of dead sessions swept, stale sessions unknown afterwards, blobs of a
// deleted version collected after the grace period (and not before), disk use in /health.
import { afterEach, beforeEach, expect, it } from "bun:test";
import { utimesSync, writeFileSync } from "node:fs";
import { formatRegistryDisk } from "../../cli/commands/ps.ts";
import { silentLogger } from "../../server/log.ts";
import { RegistryHousekeeping } from "../../server/registry/housekeeping.ts";
import { UploadSessions } from "../../server/registry/upload-sessions.ts";
import { testApp, type TestApp } from "../helpers/test-app.ts";
import { enc, pushCogImage } from "./registry-client.ts";

let t: TestApp;
beforeEach(() => {
  t = testApp();
});
afterEach(() => t.close());

it("a deleted version's tags and blobs are collected after the grace period, shared ones stay", async () => {
  const keep = await pushCogImage(t, "alice/keep", "v1", enc("shared base"));
  const gone = await pushCogImage(t, "alice/gone", "v1", enc("only in gone"));
  const hk = new RegistryHousekeeping(t.registry.store, t.registry.files, new UploadSessions(t.registry.files), silentLogger, 60_000);
  // nothing is garbage while versions and tags reach everything
  expect(hk.collect(Date.now() + 3_600_000).blobs).toBe(0);
  t.catalog.deleteVersion(gone.digest.slice(7));
  // inside the grace period (a push in flight) no blob goes; the version's tags do
  expect(hk.collect(Date.now())).toEqual({ versions: 1, blobs: 0, bytes: 0 });
  const r = hk.collect(Date.now() + 3_600_000);
  expect(r.blobs).toBe(2); // its layer and its manifest (the config is the same bytes as keep's)
  expect(t.registry.files.size(gone.layer.digest)).toBeNull();
  expect((await t.req("GET", "/v2/alice/gone/manifests/v1")).status).toBe(404);
  expect(t.registry.files.size(keep.layer.digest)).not.toBeNull();
  expect((await t.req("HEAD", `/v2/alice/keep/blobs/${keep.layer.digest}`)).status).toBe(200);
});

it("upload files without a live session (a previous run's) are swept; idle sessions after 24 h, then 404", async () => {
  writeFileSync(`${t.registry.files.uploadsDir}/0f0e0d0c-left-by-previous-run`, "partial layer");
  const post = await t.req("POST", "/v2/alice/tiny/blobs/uploads/", "");
  const loc = post.headers.get("location")!;
  await t.req("PATCH", loc, "some bytes", {});
  expect(await t.registry.housekeeping.sweepUploads()).toBe(1);
  expect((await t.req("GET", loc)).status).toBe(204);
  const old = (Date.now() - 25 * 3600_000) / 1000;
  utimesSync(`${t.registry.files.uploadsDir}/${post.headers.get("docker-upload-uuid")}`, old, old);
  expect(await t.registry.housekeeping.sweepUploads()).toBe(1);
  const after = await t.req("PATCH", loc, "more", {});
  expect(after.status).toBe(404);
});

it("/health shows the registry's disk use, in the shape `modelhub ps` prints", async () => {
  await pushCogImage(t, "alice/tiny", "v1", enc("x".repeat(1000)));
  const h = await (await t.req("GET", "/health")).json();
  expect(h.registry.blobs).toBe(3);
  expect(h.registry.blob_bytes).toBeGreaterThan(1000);
  expect(formatRegistryDisk(h.registry)).toMatch(/^Registry disk: \d+(\.\d)? kB in 3 blobs$/);
});
