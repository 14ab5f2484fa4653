// Files against the real engine and the `image` fixture: the Files API through the official JS
// client and a Python-shaped multipart body; on both Cog runtime lines (Python server and coglet):
// file inputs (uploaded files inline or by URL, data URIs, Blobs the JS client uploads itself), file
// outputs from both paths (data URL decoded, --upload-url PUT) at no-auth capability URLs with Range
// support, the stream URL of a file model; 413s, and files surviving a restart.
// Runs only with MODELHUB_TEST_DOCKER=1.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Replicate from "replicate";
import { RUNTIME_LINES } from "../fixtures/runtime-lines.ts";
import { dockerTests, startLiveServer, type LiveServer } from "../helpers/live-server.ts";
import { until } from "../helpers/until.ts";

const T = 60_000;
const PNG_MAGIC = [137, 80, 78, 71, 13, 10, 26, 10];


function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(new ArrayBuffer(n));
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65536)));
  return b;
}

describe.skipIf(!dockerTests)("predictions: files", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "modelhub-files-"));
  let s: LiveServer;
  let replicate: Replicate;

  beforeAll(async () => {
    s = await startLiveServer({}, { keepDataDir: dataDir });
    replicate = new Replicate({ auth: "test", baseUrl: `${s.url}/v1` });
    for (const L of RUNTIME_LINES) await s.addModel(L.image("image"), `files/${L.prefix}image`);
  }, T);

  afterAll(async () => {
    await s?.[Symbol.asyncDispose]();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("creates, gets, lists and deletes files through the JS client, with every field Python requires", async () => {
    const f = await replicate.files.create(new Blob([new Uint8Array(PNG_MAGIC)], { type: "image/png" }), { purpose: "test" });
    expect(f).toMatchObject({ content_type: "image/png", size: 8, metadata: { purpose: "test" }, urls: { get: `${s.url}/v1/files/${f.id}` } });
    for (const k of ["id", "name", "etag", "created_at"]) expect(typeof (f as any)[k]).toBe("string");
    expect(Object.values(f.checksums).every((v) => typeof v === "string")).toBe(true);
    expect((f as any).checksums.md5).toBe((f as any).etag);
    expect("expires_at" in f).toBe(true);
    expect((await replicate.files.get(f.id)).id).toBe(f.id);
    expect((await replicate.files.list()).results.map((x: any) => x.id)).toContain(f.id);
    expect(await replicate.files.delete(f.id)).toBe(true);
    expect((await s.api("GET", `/v1/files/${f.id}`)).status).toBe(404);
  }, T);

  it("accepts Python's shape: metadata as a text field, the type from the part", async () => {
    const body =
      '--pyb\r\nContent-Disposition: form-data; name="content"; filename="notes.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n' +
      '--pyb\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{"from": "python"}\r\n--pyb--\r\n';
    const res = await fetch(`${s.url}/v1/files`, { method: "POST", headers: { "content-type": "multipart/form-data; boundary=pyb" }, body });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ name: "notes.txt", content_type: "text/plain", size: 5, metadata: { from: "python" } });
    const bad = await fetch(`${s.url}/v1/files`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toBe("application/problem+json");
  }, T);

  it("answers 422 for an input naming a deleted file, before anything runs", async () => {
    const f = await replicate.files.create(new Blob([new Uint8Array(PNG_MAGIC)], { type: "image/png" }));
    await replicate.files.delete(f.id);
    const r = await s.api("POST", "/v1/models/files/image/predictions", { input: { init_image: f.urls.get } });
    expect(r.status).toBe(422);
    expect(r.body.invalid_fields?.[0]?.field).toBe("init_image");
  }, T);

  for (const L of RUNTIME_LINES) {
    describe(`${L.line} line`, () => {
      const image = `files/${L.prefix}image` as const;

      it("returns a sync file output (data URL decoded) at a no-auth URL with its type and ranges", async () => {
        const p = (await s.api("POST", `/v1/models/${image}/predictions`, { input: { width: 256, height: 32 } }, { prefer: "wait" })).body;
        expect(p.status).toBe("succeeded");
        expect(p.output).toMatch(new RegExp(`^${s.url}/files/[A-Za-z0-9_-]{40,}/output\\.png$`));
        const res = await fetch(p.output);
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toBe("image/png");
        const bytes = new Uint8Array(await res.arrayBuffer());
        expect([...bytes.subarray(0, 8)]).toEqual(PNG_MAGIC);
        const part = await fetch(p.output, { headers: { range: "bytes=0-7" } });
        expect(part.status).toBe(206);
        expect(part.headers.get("content-range")).toBe(`bytes 0-7/${bytes.length}`);
        expect([...new Uint8Array(await part.arrayBuffer())]).toEqual(PNG_MAGIC);
        expect((await fetch(p.output.replace(/files\/[^/]+/, "files/guess"))).status).toBe(404);
      }, T);

      it("returns an async file output the same way (Python server: its PUT to the upload URL; coglet: a data URL)", async () => {
        const created = (await s.api("POST", `/v1/models/${image}/predictions`, { input: { width: 512, color: "blue" } })).body;
        const p = await until("succeeded", async () => {
          const g = (await s.api("GET", `/v1/predictions/${created.id}`)).body;
          return g.status === "succeeded" || g.status === "failed" ? g : null;
        });
        expect(p.status).toBe("succeeded");
        expect(p.output).toMatch(new RegExp(`^${s.url}/files/[A-Za-z0-9_-]{40,}/${L.asyncOutputName.replace(".", "\\.")}$`)); // Python: the container's own file name
        const res = await fetch(p.output);
        expect(res.headers.get("content-type")).toBe("image/png");
        expect([...new Uint8Array(await res.arrayBuffer()).subarray(0, 8)]).toEqual(PNG_MAGIC);
      }, T);

      it("gets file inputs to the container: uploaded small (inline) and large (by URL), data URIs, and Blobs via run()", async () => {
        const small = await replicate.files.create(new Blob([randomBytes(1000)], { type: "image/png" }));
        const large = await replicate.files.create(new Blob([randomBytes(300_000)], { type: "application/octet-stream" }));
        for (const [url, n] of [[small.urls.get, 1000], [large.urls.get, 300_000]] as const) {
          const p = (await s.api("POST", `/v1/models/${image}/predictions`, { input: { width: 256, height: 16, init_image: url } }, { prefer: "wait" })).body;
          expect(p.status).toBe("succeeded");
          expect(p.logs).toContain(`init_image: ${n} bytes`);
          expect(p.input.init_image).toBe(url); // the prediction keeps what the client sent
        }
        const dataUri = `data:image/png;base64,${Buffer.from(PNG_MAGIC).toString("base64")}`;
        const d = (await s.api("POST", `/v1/models/${image}/predictions`, { input: { height: 16, init_image: dataUri } }, { prefer: "wait" })).body;
        expect(d.logs).toContain("init_image: 8 bytes of image/png");
        const out = await replicate.run(image, { input: { height: 16, init_image: new Blob([randomBytes(64)], { type: "image/png" }) } });
        expect(String(out)).toStartWith(`${s.url}/files/`);
      }, T);

      it("runs with optional inputs set to null, as clients send unset fields (coglet answers an explicit null with a 422)", async () => {
        const p = (await s.api("POST", `/v1/models/${image}/predictions`, { input: { height: 16, seed: null, init_image: null } }, { prefer: "wait" })).body;
        expect([p.status, p.error]).toEqual(["succeeded", null]);
        expect(p.logs).not.toContain("init_image:");
      }, T);

      it("streams a file model under /v1/files/, where the JS client hands out FileOutputs", async () => {
        const seen: unknown[] = [];
        for await (const e of replicate.stream(image, { input: { width: 256, height: 16 } })) if (e.event === "output") seen.push(e.data);
        expect(seen).toHaveLength(1);
        const blob = await (seen[0] as { blob(): Promise<Blob> }).blob();
        expect(blob.type).toBe("image/png");
        expect([...new Uint8Array(await blob.arrayBuffer()).subarray(0, 8)]).toEqual(PNG_MAGIC);
      }, T);
    });
  }

  it("keeps files and output URLs across a restart", async () => {
    const f = await replicate.files.create(new Blob(["kept"], { type: "text/plain" }));
    const p = (await s.api("POST", "/v1/models/files/image/predictions", { input: { height: 16 } }, { prefer: "wait" })).body;
    const before = new Uint8Array(await (await fetch(p.output)).arrayBuffer());
    await s[Symbol.asyncDispose]();
    s = await startLiveServer({}, { keepDataDir: dataDir });
    const again = (await s.api("GET", `/v1/predictions/${p.id}`)).body;
    expect(again.output).toStartWith(`${s.url}/files/`); // on the origin asked through
    expect(new Uint8Array(await (await fetch(again.output)).arrayBuffer())).toEqual(before);
    expect((await s.api("GET", `/v1/files/${f.id}`)).body.size).toBe(4);
  }, T);
});

describe.skipIf(!dockerTests)("predictions: size limits", () => {
  let s: LiveServer;
  beforeAll(async () => {
    s = await startLiveServer({ "max-file-size": "1k", "max-log-size": "512" });
  }, T);
  afterAll(async () => {
    await s?.[Symbol.asyncDispose]();
  });

  it("answers an oversized upload with a 413 problem that names the limit", async () => {
    const form = new FormData();
    form.append("content", new Blob([new Uint8Array(4096)]), "big.bin");
    const res = await fetch(`${s.url}/v1/files`, { method: "POST", body: form });
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const body = (await res.json()) as { detail: string; status: number };
    expect(body.status).toBe(413);
    expect(body.detail).toMatch(/1024|1k/i);
  }, T);

  it("caps the logs of a prediction, keeping the head and the last lines", async () => {
    await s.addModel("modelhub-test/slow:latest", "limits/slow");
    // ~40 progress lines of 20 characters: over the 512-character cap.
    const p = (await s.api("POST", "/v1/models/limits/slow/predictions", { input: { seconds: 6 } }, { prefer: "wait" })).body;
    expect(p.status).toBe("succeeded");
    expect(p.logs).toContain("[modelhub: logs over the size limit were cut here]");
    expect(p.logs.length).toBeLessThan(512 + 256);
    expect(p.logs).toStartWith("progress 0.");
    expect(p.logs.trimEnd()).toMatch(/progress 6\.\d+\/6\.00s$/);
  }, T);
});
