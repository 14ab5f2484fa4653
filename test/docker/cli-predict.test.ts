// `modelhub predict` end to end against a live modelhub and real containers: typed inputs, a file
// input from disk, an iterator printed as text, and a bad input reported per field with nothing run.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dockerTests, startLiveServer, type LiveServer } from "../helpers/live-server.ts";

const ROOT = join(import.meta.dir, "../..");

describe.skipIf(!dockerTests)("modelhub predict", () => {
  let s: LiveServer;
  beforeAll(async () => {
    s = await startLiveServer();
    await s.addModel("modelhub-test/hello:latest", "cli/hello");
    await s.addModel("modelhub-test/image:latest", "cli/image");
    await s.addModel("modelhub-test/stream:latest", "cli/stream");
  }, 60_000);
  afterAll(async () => {
    await s?.[Symbol.asyncDispose]();
  });

  // Async spawn: the server runs in this process.
  async function cli(...args: string[]) {
    const p = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), "predict", ...args], { env: { ...process.env, MODELHUB_URL: s.url }, stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    return { out, err, code };
  }

  it("prints a text output", async () => {
    const r = await cli("cli/hello", "-i", "text=world");
    expect(r.code).toBe(0);
    expect(r.out).toBe("hello world\n");
    expect(r.err).toMatch(/succeeded: http:\/\/127\.0\.0\.1:\d+\/p\/[a-z2-7]{26}/);
  });

  it("types inputs by the schema and sends a file from disk", async () => {
    const file = join(s.dataDir, "init.png");
    writeFileSync(file, Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
    const r = await cli("cli/image", "-i", "height=32", "-i", "grid=true", "-i", `init_image=@${file}`);
    expect(r.code).toBe(0);
    const url = r.out.trim();
    expect((await fetch(url)).headers.get("content-type")).toBe("image/png");
    const p = (await s.api("GET", "/v1/predictions")).body.results[0];
    expect(p.input).toMatchObject({ height: 32, grid: true });
    expect(p.logs).toContain("8 bytes"); // the model saw the file
  });

  it("prints an iterator of tokens as one text", async () => {
    const r = await cli("cli/stream", "-i", "prompt=one two", "-i", "count=4");
    expect(r.out).toBe("one two one two\n");
  });

  it("reports every bad input by field and runs nothing", async () => {
    const before = (await s.api("GET", "/v1/predictions")).body.results.length;
    const r = await cli("cli/image", "-i", "width=300", "-i", "height=abc");
    expect(r.code).toBe(1);
    expect(r.err).toContain("width: must be one of 256, 512, 768, 1024");
    expect(r.err).toContain("height:");
    expect(r.err).toContain("nothing was run");
    expect((await s.api("GET", "/v1/predictions")).body.results.length).toBe(before);
  });
});
