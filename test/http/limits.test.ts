// Limits a client cannot talk its way around: a per-token rate on prediction creation (429 with
// Retry-After), and connections that send half a request and then nothing are closed.
import { join } from "node:path";
import { describe, expect, it } from "bun:test";
import { loadConfig } from "../../server/config.ts";
import { silentLogger } from "../../server/log.ts";
import { RateLimiter } from "../../server/http/rate-limit.ts";
import { startServer } from "../../server/server.ts";
import { serveChild } from "../helpers/serve-child.ts";
import { cogLabels, loadSchema } from "../helpers/cog-schema-fixtures.ts";
import { testApp } from "../helpers/test-app.ts";
import { tempDir } from "../helpers/temp-dir.ts";
import { until } from "../helpers/until.ts";

describe("the prediction rate limit", () => {
  it("answers a user token's request over --rate-limit with 429 and Retry-After; other tokens and admins go on", async () => {
    const h = testApp({ flags: { auth: "on", "rate-limit": "3" } });
    h.runtime.addImage("acme/hello:latest", cogLabels(loadSchema("hello-world-cog-0.13.6-pydantic1.json")));
    const admin = h.deps.tokens.create("root", "admin").token;
    const a = h.deps.tokens.create("a").token;
    const b = h.deps.tokens.create("b").token;
    await h.req("POST", "/v1/models/o/hello/versions", { image: "acme/hello:latest" }, { authorization: `Bearer ${admin}` });
    const create = (t: string) => h.req("POST", "/v1/predictions", { version: "o/hello", input: { text: "x" } }, { authorization: `Bearer ${t}` });
    for (let i = 0; i < 3; i++) expect((await create(a)).status).toBe(201);
    const over = await create(a);
    expect(over.status).toBe(429);
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(((await over.json()) as { detail: string }).detail).toContain("3 predictions a minute");
    expect((await create(b)).status).toBe(201);
    for (let i = 0; i < 5; i++) expect((await create(admin)).status).toBe(201);
    h.close();
  });

  it("refills with time", () => {
    let now = 0;
    const l = new RateLimiter(60, () => now);
    const user = { id: "t", name: "t", role: "user" as const };
    for (let i = 0; i < 60; i++) l.take(user);
    expect(() => l.take(user)).toThrow("60 predictions a minute");
    now += 1000; // one a second
    expect(() => l.take(user)).not.toThrow();
    expect(() => l.take(user)).toThrow();
  });
});

describe("connections", () => {
  it("closes connections that send half a request and stop (--request-timeout)", async () => {
    using dir = tempDir("modelhub-slow-");
    const server = await startServer(loadConfig({}, { port: "0", "data-dir": dir.path, "callback-host": "off", auth: "off", "request-timeout": "1" }), { logger: silentLogger });
    try {
      let closed = 0;
      const sockets = await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const s = await Bun.connect({ hostname: "127.0.0.1", port: server.port, socket: { data() {}, close: () => void closed++ } });
          // half the headers for some, a promised body that never comes for the others
          s.write(i % 2 ? "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " : "POST /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{");
          return s;
        }),
      );
      await until("the server to close every half-sent connection", () => closed === sockets.length, 30_000);
      expect(closed).toBe(50);
      // and it still serves
      expect((await fetch(`${server.url}/v1/models`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  }, 40_000);

  it("lets a large upload take longer than --request-timeout while its body arrives", async () => {
    using dir = tempDir("modelhub-slow-upload-");
    // Its own process, as `modelhub serve` runs.
    const server = await serveChild(join(dir.path, "data"), ["--auth", "off", "--request-timeout", "2"]);
    try {
      // 48 MiB sent by curl at 10 MiB/s: 5 s of body at a 2 s timeout (Bun's own timer alone cut it).
      const file = join(dir.path, "slow.bin");
      await Bun.write(file, new Uint8Array(48 << 20).fill(120));
      const curl = Bun.spawn(["curl", "-s", "-H", "Expect:", "--limit-rate", "10M", "-w", "\n%{http_code}", "-F", `content=@${file}`, `${server.url}/v1/files`], { stdout: "pipe" });
      const out = await new Response(curl.stdout).text();
      expect(out.trim().split("\n").at(-1)).toBe("201");
      expect(out).toContain(`"size":${48 << 20}`);
    } finally {
      await server.stop();
    }
  }, 40_000);
});
