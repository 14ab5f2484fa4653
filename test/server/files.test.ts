// Files without a container: storage (hashes, persistence, size cap), data URLs, multipart as the
// clients send it, ranges, serving bytes, and how predictions see files (input rewriting, output
// ingestion of data URLs and upload-receiver URLs).
import { describe, expect, it } from "bun:test";
import { join } from "node:path";
import { openDatabase } from "../../server/db/database.ts";
import { AppError } from "../../server/errors.ts";
import { BlobDir } from "../../server/files/blobs.ts";
import { nameForContentType, parseDataUrl, toDataUrl } from "../../server/files/data-url.ts";
import { PredictionFileBridge } from "../../server/files/prediction-files.ts";
import { FileService, safeName } from "../../server/files/service.ts";
import { FileStore } from "../../server/files/store.ts";
import { parseMultipart } from "../../server/http/transport/multipart.ts";
import { parseRange } from "../../server/http/transport/range.ts";
import { serveFile } from "../../server/http/transport/serve-file.ts";
import { tempDir } from "../helpers/temp-dir.ts";

function files(dir: string, max = 1024 * 1024) {
  const db = openDatabase(join(dir, "m.db"));
  return { db, svc: new FileService(new FileStore(db), new BlobDir(join(dir, "files")), max) };
}
const bytes = (s: string) => new TextEncoder().encode(s);
const streamOf = (...parts: string[]) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of parts) c.enqueue(bytes(p));
      c.close();
    },
  });

describe("file storage", () => {
  it("stores bytes with size and checksums, lists uploads, deletes, and keeps files across a reopen", async () => {
    using dir = tempDir();
    const { db, svc } = files(dir.path);
    const a = await svc.create({ kind: "upload", name: "a.txt", contentType: "text/plain", body: bytes(""), metadata: { k: "v" } });
    expect(a).toMatchObject({ size: 0, md5: "d41d8cd98f00b204e9800998ecf8427e", sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" });
    const b = await svc.create({ kind: "upload", name: "b.bin", contentType: "application/octet-stream", body: streamOf("hello ", "world") });
    expect(b.size).toBe(11);
    expect(new TextDecoder().decode(await svc.readBytes(b))).toBe("hello world");
    await svc.create({ kind: "output", name: "out.png", contentType: "image/png", body: bytes("png") });
    // Outputs are not Files API files. (Same-millisecond rows have no defined order.)
    expect(svc.listUploads(10).map((f) => f.name).sort()).toEqual(["a.txt", "b.bin"]);
    svc.deleteUpload(a.id);
    expect(() => svc.getUpload(a.id)).toThrow(AppError);
    db.close();
    const again = files(dir.path);
    expect(again.svc.getUpload(b.id).metadata).toEqual({});
    expect(new TextDecoder().decode(await again.svc.readBytes(again.svc.getUpload(b.id)))).toBe("hello world");
    expect(again.svc.byToken(b.token)?.id).toBe(b.id);
    again.db.close();
  });

  it("refuses a body over the limit with a 413, streaming or not, and leaves nothing behind", async () => {
    using dir = tempDir();
    const { svc } = files(dir.path, 8);
    for (const body of [bytes("0123456789"), streamOf("01234", "56789")]) {
      const err = await svc.create({ kind: "upload", name: "x", contentType: "text/plain", body }).catch((e) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).status).toBe(413);
    }
    expect(svc.listUploads(10)).toEqual([]);
    expect([...new Bun.Glob("**/*").scanSync(join(dir.path, "files"))]).toEqual([]);
  });

  it("keeps names to a plain basename", () => {
    expect(safeName("../../etc/passwd")).toBe("passwd");
    expect(safeName('a"b\n.txt')).toBe("ab.txt");
    expect(safeName("..")).toBe("file");
  });
});

describe("data URLs", () => {
  it("decodes base64 and percent-encoded forms and round-trips", () => {
    expect(parseDataUrl("data:text/plain;base64,aGk=")).toEqual({ contentType: "text/plain", bytes: bytes("hi") });
    expect(parseDataUrl("data:,a%20b")).toEqual({ contentType: "text/plain", bytes: bytes("a b") });
    expect(parseDataUrl("https://x")).toBeNull();
    const png = new Uint8Array([137, 80, 78, 71]);
    expect(parseDataUrl(toDataUrl("image/png", png))).toEqual({ contentType: "image/png", bytes: png });
    expect(nameForContentType("image/png")).toBe("output.png");
    expect(nameForContentType("audio/x-wav", 2)).toBe("output-2.wav");
    expect(nameForContentType("x/unknown")).toBe("output.bin");
  });
});

describe("multipart", () => {
  it("reads the parts the JS client sends: the file with its type, metadata as a JSON blob", async () => {
    const form = new FormData();
    form.append("content", new Blob([new Uint8Array([0, 1, 2, 255])], { type: "image/png" }), "pic.png");
    form.append("metadata", new Blob(['{"a":1}'], { type: "application/json" }));
    const req = new Request("http://x/", { method: "POST", body: form });
    const type = req.headers.get("content-type")!; // (Bun forgets it once the body is read)
    const parts = parseMultipart(new Uint8Array(await req.arrayBuffer()), type);
    const content = parts.find((p) => p.name === "content")!;
    expect(content).toMatchObject({ filename: "pic.png", contentType: "image/png" });
    expect([...content.body]).toEqual([0, 1, 2, 255]);
    expect(new TextDecoder().decode(parts.find((p) => p.name === "metadata")!.body)).toBe('{"a":1}');
  });

  it("reads a Python-style body: metadata as a plain field, quoted boundary, filename*", () => {
    const body =
      '--b0\r\nContent-Disposition: form-data; name="content"; filename*=UTF-8\'\'%C3%A9t%C3%A9.txt\r\nContent-Type: text/plain\r\n\r\nhello\r\n' +
      '--b0\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{"x": true}\r\n--b0--\r\n';
    const parts = parseMultipart(bytes(body), 'multipart/form-data; boundary="b0"');
    expect(parts.map((p) => [p.name, p.filename, p.contentType, new TextDecoder().decode(p.body)])).toEqual([
      ["content", "été.txt", "text/plain", "hello"],
      ["metadata", null, null, '{"x": true}'],
    ]);
  });

  it("rejects what is not multipart", () => {
    expect(() => parseMultipart(bytes("x"), "application/json")).toThrow(AppError);
    expect(() => parseMultipart(bytes("--b\r\nno end"), "multipart/form-data; boundary=b")).toThrow(AppError);
  });
});

describe("ranges", () => {
  it("parses one bytes range, clamps the end, and says when it cannot be satisfied", () => {
    expect(parseRange(null, 100)).toBeNull();
    expect(parseRange("bytes=0-9", 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange("bytes=90-", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=-10", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=50-500", 100)).toEqual({ start: 50, end: 99 });
    expect(parseRange("bytes=100-", 100)).toBe("unsatisfiable");
    expect(parseRange("bytes=-0", 100)).toBe("unsatisfiable");
    expect(parseRange("bytes=0-1,5-6", 100)).toBeNull(); // several ranges: the whole file
    expect(parseRange("items=0-1", 100)).toBeNull();
  });

  it("serves 200 with the type, 206 with Content-Range, 416, and HEAD without a body", async () => {
    using dir = tempDir();
    const { svc } = files(dir.path);
    const f = await svc.create({ kind: "output", name: "a.wav", contentType: "audio/x-wav", body: bytes("0123456789") });
    const get = (range?: string, method = "GET") => serveFile(f, svc.blobPath(f), new Request("http://x/", { method, headers: range ? { range } : {} }));
    const full = await get();
    expect(full.status).toBe(200);
    expect(full.headers.get("content-type")).toBe("audio/x-wav");
    expect(full.headers.get("accept-ranges")).toBe("bytes");
    expect(await full.text()).toBe("0123456789");
    const part = await get("bytes=2-4");
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe("bytes 2-4/10");
    expect(await part.text()).toBe("234");
    expect((await get("bytes=20-")).status).toBe(416);
    const head = await get(undefined, "HEAD");
    expect(head.headers.get("content-length")).toBe("10");
    expect(await head.text()).toBe("");
  });
});

describe("files seen by predictions", () => {
  const origin = "http://127.0.0.1:5100";
  const cb = "http://host.docker.internal:4000";

  async function setup(dir: string, inlineMaxBytes = 4) {
    const { svc } = files(dir);
    const bridge = new PredictionFileBridge(svc, { ownOrigins: () => ["http://localhost:5100"], callbackBase: () => cb, inlineMaxBytes });
    return { svc, bridge };
  }

  it("rewrites modelhub file URLs in inputs: small ones inline, large ones by callback URL; a missing one is a 422", async () => {
    using dir = tempDir();
    const { svc, bridge } = await setup(dir.path);
    const small = await svc.create({ kind: "upload", name: "s.txt", contentType: "text/plain", body: bytes("hi") });
    const large = await svc.create({ kind: "upload", name: "l.bin", contentType: "application/octet-stream", body: bytes("0123456789") });
    const input = { a: `${origin}/v1/files/${small.id}`, b: [`http://localhost:5100/v1/files/${large.id}`], c: "https://example.com/x.png", d: "plain" };
    expect(bridge.checkInputFiles(input, origin)).toBe(true);
    expect(bridge.checkInputFiles({ c: "https://example.com/x.png" }, origin)).toBe(false);
    expect(await bridge.containerInput(input, origin)).toEqual({
      a: "data:text/plain;base64,aGk=",
      b: [`${cb}/internal/files/${large.token}/l.bin`],
      c: "https://example.com/x.png",
      d: "plain",
    });
    const err = (() => {
      try {
        bridge.checkInputFiles({ img: `${origin}/v1/files/nope` }, origin);
      } catch (e) {
        return e as AppError;
      }
    })();
    expect(err?.status).toBe(422);
    expect(err?.extra.fields?.[0].field).toBe("img");
  });

  it("stores data-URL outputs in file slots only, and maps upload-receiver URLs to public ones", async () => {
    using dir = tempDir();
    const { svc, bridge } = await setup(dir.path);
    const uploaded = await bridge.storeUpload({ uploadKey: "k", name: "out.png", contentType: "image/png", body: bytes("png!"), predictionId: null });
    expect(uploaded).toMatch(new RegExp(`^${cb}/internal/files/[^/]+/out\\.png$`));
    const components = { Output: { type: "object", properties: { image: { type: "string", format: "uri" }, caption: { type: "string" }, up: { type: "string", format: "uri" } } } };
    const value = { image: toDataUrl("image/png", bytes("img")), caption: "data:text/plain;base64,aGk=", up: uploaded };
    expect(bridge.needsIngest(value)).toBe(true);
    expect(bridge.needsIngest({ caption: "hello" })).toBe(false);
    const out = (await bridge.ingestOutput(value, { predictionId: "p1", origin, outputSchema: { $ref: "#/components/schemas/Output" }, components })) as Record<string, string>;
    expect(out.caption).toBe("data:text/plain;base64,aGk="); // a plain string stays a string
    expect(out.image).toMatch(new RegExp(`^${origin}/files/[^/]+/output\\.png$`));
    expect(out.up).toMatch(new RegExp(`^${origin}/files/[^/]+/out\\.png$`));
    const stored = svc.byToken(out.image.split("/")[4])!;
    expect(stored).toMatchObject({ kind: "output", contentType: "image/png", predictionId: "p1" });
    expect(svc.byToken(out.up.split("/")[4])!.predictionId).toBe("p1");
    expect(svc.deleteForPrediction("p1")).toBe(2);
  });

  it("ingests the items of an iterator of files", async () => {
    using dir = tempDir();
    const { bridge } = await setup(dir.path);
    const schema = { type: "array", items: { type: "string", format: "uri" }, "x-cog-array-type": "iterator" };
    const out = (await bridge.ingestOutput([toDataUrl("audio/x-wav", bytes("a")), toDataUrl("audio/x-wav", bytes("b"))], { predictionId: "p", origin, outputSchema: schema, components: {} })) as string[];
    expect(out.map((u) => u.split("/").pop())).toEqual(["output.wav", "output-1.wav"]);
  });
});
