// The data folder full (no Docker: fixture processes): on a 2 MiB tmpfs when the test runs as root
// (it mounts one), else with SQLite's max_page_count standing in for the full disk (the database
// part only). Requests that must write answer 507 naming the data folder and what is full, never
// 500; a waited-for prediction is answered `succeeded` only when it is stored; reads and
// DELETE /v1/files and /v1/predictions keep working; once space is freed, writes work again without a restart.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Version } from "../../server/catalog/catalog.ts";
import { createApp } from "../../server/app.ts";
import { ORIGIN, ProcessHub } from "../helpers/process-hub.ts";

const dir = mkdtempSync(join(tmpdir(), "modelhub-full-"));
const tmpfs = process.getuid?.() === 0 && spawnSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", dir]).status === 0;
const filler = join(dir, "filler");

let hub: ProcessHub;
let app: ReturnType<typeof createApp>;
let v: Version;

function req(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  return app.handle(new Request(ORIGIN + path, init));
}

function upload(size: number): Promise<Response> {
  const form = new FormData();
  form.append("content", new Blob([new Uint8Array(size)], { type: "application/octet-stream" }), "data.bin");
  return req("POST", "/v1/files", form);
}

/** Fills the disk to the last byte (tmpfs), or caps the database where it is. */
function fill(): void {
  if (!tmpfs) {
    const db = hub.current.db;
    const { page_count } = db.query("PRAGMA page_count").get() as { page_count: number };
    db.exec(`PRAGMA max_page_count = ${page_count}`);
    return;
  }
  const fd = openSync(filler, "w");
  const chunk = new Uint8Array(16 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as { code?: string }).code !== "ENOSPC") throw err;
    // Then byte by byte: not a byte is left.
    try {
      for (;;) writeSync(fd, new Uint8Array(1));
    } catch {}
  } finally {
    closeSync(fd);
  }
}

function free(): void {
  if (tmpfs) rmSync(filler, { force: true });
  else hub.current.db.exec("PRAGMA max_page_count = 1073741823");
}

beforeAll(async () => {
  hub = await ProcessHub.start({ "data-dir": dir, auth: "off" }, { dataDir: dir });
  v = await hub.addModel("hello");
  app = createApp(hub.services.http);
}, 30_000);

afterAll(async () => {
  await hub.close();
  if (tmpfs) spawnSync("umount", [dir]);
  rmSync(dir, { recursive: true, force: true });
});

describe(`a full data folder (${tmpfs ? "2 MiB tmpfs" : "database capped with max_page_count"})`, () => {
  it("answers 507 for writes, keeps reads and deleting files and predictions working, loses nothing it acknowledged, and recovers", async () => {
    const warm = await req("POST", "/v1/predictions", { version: v.id, input: { text: "warm" } }, { prefer: "wait" });
    expect(warm.status).toBe(201);
    const warmId = ((await warm.json()) as { id: string }).id;
    const up = await upload(tmpfs ? 64 * 1024 : 1024);
    expect(up.status).toBe(201);
    const fileId = ((await up.json()) as { id: string }).id;
    const old = await req("POST", "/v1/predictions", { version: v.id, input: { text: "old" } }, { prefer: "wait" });
    const oldId = ((await old.json()) as { id: string }).id;

    fill();
    const statuses: number[] = [];
    const acknowledged: string[] = [];
    // Inputs that need new database pages: the disk (or the cap) refuses them.
    for (let i = 0; i < 12; i++) {
      const res = await req("POST", "/v1/predictions", { version: v.id, input: { text: `${i}`.repeat(20_000) } }, { prefer: "wait" });
      statuses.push(res.status);
      const body = (await res.json()) as { id?: string; status: string | number; detail?: string };
      if (res.status === 201) {
        expect(body.status).toBe("succeeded");
        acknowledged.push(body.id!);
      } else {
        expect(res.status).toBe(507);
        expect(body.detail).toContain(dir);
        expect(body.detail).toMatch(/full/);
      }
    }
    expect(statuses).toContain(507);
    const async = await req("POST", "/v1/predictions", { version: v.id, input: { text: "a".repeat(20_000) } });
    expect([201, 507]).toContain(async.status);
    if (async.status === 201) acknowledged.push(((await async.json()) as { id: string }).id);
    if (tmpfs) expect((await upload(64 * 1024)).status).toBe(507);

    // Reads keep working.
    expect((await req("GET", `/v1/predictions/${warmId}`)).status).toBe(200);
    expect((await req("GET", "/v1/predictions")).status).toBe(200);
    // Deleting is how space is freed: it works on the full disk.
    expect((await req("DELETE", `/v1/files/${fileId}`)).status).toBe(204);
    expect((await req("GET", `/v1/files/${fileId}`)).status).toBe(404);
    expect((await req("DELETE", `/v1/predictions/${oldId}`)).status).toBe(204);
    expect((await req("GET", `/v1/predictions/${oldId}`)).status).toBe(404);

    // Every prediction a client was told about is stored (not only in memory).
    for (const id of acknowledged) expect(hub.services.store.get(id)).not.toBeNull();

    free();
    const again = await req("POST", "/v1/predictions", { version: v.id, input: { text: "again" } }, { prefer: "wait" });
    expect(again.status).toBe(201);
    const againBody = (await again.json()) as { id: string; status: string };
    expect(againBody.status).toBe("succeeded");
    expect(hub.services.store.get(againBody.id)?.status).toBe("succeeded");
    expect((await upload(1024)).status).toBe(201);
    expect(hub.current.db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
  }, 60_000);
});
