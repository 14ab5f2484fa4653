// The official `replicate` npm client (1.4.0), unmodified, against a live modelhub with only its
// baseUrl changed: the calls an app written for Replicate makes (run for text, file and iterator
// outputs; predictions.create with and without wait, get, list, cancel; models.get and list), the
// model calls on both Cog runtime lines (Python server and coglet). The stream, files and webhook
// calls are covered in predictions-live and predictions-files.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import Replicate from "replicate";
import { RUNTIME_LINES } from "../fixtures/runtime-lines.ts";
import { dockerTests, startLiveServer, type LiveServer } from "../helpers/live-server.ts";
import { until } from "../helpers/until.ts";

describe.skipIf(!dockerTests)("the official JS client against modelhub", () => {
  let s: LiveServer;
  let replicate: Replicate;
  const version: Record<string, string> = {};

  beforeAll(async () => {
    s = await startLiveServer();
    replicate = new Replicate({ auth: "unused-token", baseUrl: `${s.url}/v1` });
    for (const L of RUNTIME_LINES)
      for (const m of ["hello", "image", "stream", "slow"] as const) version[`client/${L.prefix}${m}`] = await s.addModel(L.image(m), `client/${L.prefix}${m}`);
  }, 60_000);
  afterAll(async () => {
    await s?.[Symbol.asyncDispose]();
  });

  for (const L of RUNTIME_LINES) {
    describe(`${L.line} line`, () => {
      const [hello, image, stream, slow] = (["hello", "image", "stream", "slow"] as const).map((m) => `client/${L.prefix}${m}` as const);

      it("run() by model name and by owner/name:version returns a text output", async () => {
        expect((await replicate.run(hello, { input: { text: "model" } })) as unknown).toBe("hello model");
        expect((await replicate.run(`${hello}:${version[hello]}`, { input: { text: "version" } })) as unknown).toBe("hello version");
      });

      it("run() returns an iterator model's whole list", async () => {
        expect(await replicate.run(stream, { input: { prompt: "one two", count: 4 } })).toEqual(["one", " two", " one", " two"]);
      });

      it("run() returns a file output whose URL serves the PNG without auth", async () => {
        const out = (await replicate.run(image, { input: { width: 256, height: 16 } })) as unknown;
        // http: URLs are handed back as strings by the JS client (it wraps only https: and data:)
        const url = String(out);
        expect(url.startsWith(s.url)).toBe(true);
        const res = await fetch(url);
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toBe("image/png");
        expect([...new Uint8Array(await res.arrayBuffer()).slice(1, 4)]).toEqual([0x50, 0x4e, 0x47]); // "PNG"
      });

      it("run() rejects with the model's error when the prediction fails", async () => {
        await expect(replicate.run(slow, { input: { seconds: 0.1, fail: true } })).rejects.toThrow(/Prediction failed: .*asked to fail/);
      });

      it("predictions.create with wait answers finished; without wait answers starting, and get follows it", async () => {
        const waited = await replicate.predictions.create({ version: version[hello], input: { text: "w" }, wait: true });
        expect(waited.status).toBe("succeeded");
        expect(waited.output).toBe("hello w");

        const started = await replicate.predictions.create({ version: version[hello], input: { text: "later" } });
        expect(started.status).toBe("starting");
        const done = await replicate.wait(started, { interval: 50 });
        expect(done.status).toBe("succeeded");
        expect(done.output).toBe("hello later");
        expect((await replicate.predictions.get(started.id)).output).toBe("hello later");
      });

      it("predictions.cancel stops a running prediction", async () => {
        const p = await replicate.predictions.create({ version: version[slow], input: { seconds: 60 } });
        await until("it to run", async () => (await replicate.predictions.get(p.id)).status === "processing", 10_000);
        await replicate.predictions.cancel(p.id);
        const ended = await until("it to end", async () => ((x) => (["succeeded", "failed", "canceled"].includes(x.status) ? x : null))(await replicate.predictions.get(p.id)), 10_000);
        expect(ended.status).toBe("canceled");
      });
    });
  }

  it("predictions.list finds them, newest first", async () => {
    const page = await replicate.predictions.list();
    expect(page.results.length).toBeGreaterThanOrEqual(5);
    const times = page.results.map((p) => Date.parse(p.created_at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it("models.get and models.list describe the catalog", async () => {
    const m = await replicate.models.get("client", "hello");
    expect(m.owner).toBe("client");
    expect(m.latest_version?.id).toBe(version["client/hello"]);
    expect((m.latest_version?.openapi_schema as any).components.schemas.Output.type).toBe("string");
    const names: string[] = [];
    for await (const page of replicate.paginate(replicate.models.list)) names.push(...page.map((x) => `${x.owner}/${x.name}`));
    expect(names.sort()).toEqual(Object.keys(version).sort());
  });
});
