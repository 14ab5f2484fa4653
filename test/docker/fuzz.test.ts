// Fuzz: ≥ 10,000 generated hostile requests over every route modelhub documents (its /openapi.json
// lists every mounted route; test/http/openapi.test.ts keeps it so), against `modelhub serve` in a
// process of its own with a real model. Bad JSON, wrong types, huge values, deep nesting, path tricks,
// bad cursors, bad file names, header tricks. Nothing may answer 5xx, the server must stay up, and
// its memory must come back near where it started.
//
// Every generated URL targets the server under test; webhook and input URLs point only at loopback.
// Image references are drawn from names the engine looks up locally (no registry host, no dots that
// an unescaping engine could turn into a redirect elsewhere).
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveChild, type ServeChild } from "../helpers/serve-child.ts";
import { until } from "../helpers/until.ts";

const enabled = process.env.MODELHUB_TEST_DOCKER === "1";
const TOTAL = 10_000;
const CONCURRENCY = 16;

/** mulberry32: a small seeded generator, so a failure can be replayed with the same seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe.skipIf(!enabled)("fuzz: hostile requests over every route", () => {
  let s: ServeChild;
  let dataDir: string;
  const known: Record<string, string[]> = { owner: ["fuzz"], name: ["hello"], id: [], token: [], slug: ["all", "by-fuzz"] };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "modelhub-fuzz-"));
    s = await serveChild(dataDir, ["--idle-timeout", "60", "--gpus", "none", "--max-queue", "20"]);
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${s.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) }).then((r) => r.json());
    const v = await post("/v1/models/fuzz/hello/versions", { image: "modelhub-test/hello:latest" });
    known.id.push(v.id);
    const p = await post("/v1/predictions", { version: "fuzz/hello", input: { text: "x" } }, { Prefer: "wait" });
    known.id.push(p.id);
    known.token.push(new URL(p.urls.stream).pathname.split("/").pop()!);
    const fd = new FormData();
    fd.append("content", new Blob(["hello"]), "a.txt");
    const f = await (await fetch(`${s.url}/v1/files`, { method: "POST", body: fd })).json();
    known.id.push(f.id);
    known.token.push(new URL(f.urls.get).pathname.split("/")[2] ?? "x");
  }, 60_000);

  afterAll(async () => {
    await s?.stop();
    // The containers this server started go with it (it stops them on SIGTERM).
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`answers ${TOTAL} generated hostile requests without a 5xx or a crash, and gives its memory back`, async () => {
    const doc = await (await fetch(`${s.url}/openapi.json`)).json();
    const routes: { method: string; path: string }[] = [];
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>))
      for (const method of Object.keys(ops)) routes.push({ method: method === "x-query" ? "QUERY" : method.toUpperCase(), path });
    expect(routes.length).toBeGreaterThan(30);

    const r = rng(20261202);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
    const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
    const segment = () =>
      pick([
        "x", "..", "%2e%2e", "%00", "a%2Fb", "%", "%zz", "ééé", "A".repeat(3000), "null", "-1", "1e999", "%3Cscript%3E", "*", "%20", "~", "%ff%fe",
        ...known.owner, ...known.name, ...known.id, ...known.token,
      ]);
    const loopbackUrl = () => pick(["http://127.0.0.1:1/x", "http://127.0.0.1:9/hook?x=1", "http://localhost:1/", "http://[::1]:1/"]);
    const junk = (depth = 0): unknown => {
      const k = r();
      if (depth > 3 || k < 0.3) return pick([null, true, false, 0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.1, "", "x", "é", "\u0000", "x".repeat(20_000), loopbackUrl(), "data:image/png;base64,AAAA", "ftp://x/y", "javascript:alert(1)"]);
      if (k < 0.6) return Array.from({ length: Math.floor(r() * 4) }, () => junk(depth + 1));
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 4); i > 0; i--) o[pick(["text", "width", "seed", "image", "prompt", "count", "__proto__", "constructor", "input", "x"])] = junk(depth + 1);
      return o;
    };
    const nested = (n: number) => (r() < 0.5 ? "[".repeat(n) + "]".repeat(n) : '{"a":'.repeat(n) + "1" + "}".repeat(n));
    const body = (): { text?: string; type?: string } => {
      const k = r();
      if (k < 0.1) return {};
      if (k < 0.2) return { text: pick(["{", "[", "nul", '{"a":', "\u0000", "}{", '"str', "1e99999", "[1,]", "\ufeff{}"]), type: "application/json" };
      if (k < 0.25) return { text: nested(pick([100, 5000, 50_000])), type: "application/json" };
      if (k < 0.3) return { text: "x=1&y=2", type: pick(["text/plain", "application/x-www-form-urlencoded"]) };
      if (k < 0.35) return { text: `--b\r\nContent-Disposition: form-data; name="content"; filename="${pick(["a\u0000b", "../../etc/passwd", "x".repeat(600), "é".repeat(300), ""])}"\r\n\r\nhi\r\n--b--\r\n`, type: pick(["multipart/form-data; boundary=b", "multipart/form-data", "multipart/form-data; boundary="]) };
      const shaped = {
        version: pick(["fuzz/hello", ...known.id, "nope", "", 5, null, "fuzz/hello:" + "0".repeat(64), "a".repeat(500)]),
        input: r() < 0.5 ? { text: junk() } : junk(),
        webhook: r() < 0.5 ? undefined : pick([loopbackUrl(), "", 5, "not a url", "file:///etc/passwd"]),
        webhook_events_filter: r() < 0.7 ? undefined : junk(),
        image: pick(["", "UPPER", "a@sha256:123", "x".repeat(300), "modelhub-test/not-cog:latest", "nope:tag", "a b", 7, null]),
        visibility: pick(["public", "private", "x", 1]),
        description: junk(),
        hardware: junk(),
        min_instances: pick([-1, 0, 1e9, "1", null]),
        max_instances: pick([-1, 0, 1e9, "1", null]),
        idle_timeout: pick([-1e308, 0, 1e308, "x", null]),
        model: junk(),
        all: junk(),
      };
      const o: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(shaped)) if (r() < 0.4 && v !== undefined) o[key] = v;
      return { text: r() < 0.9 ? JSON.stringify(o) : JSON.stringify(junk()), type: pick(["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "text/plain"]) };
    };
    const query = () =>
      pick([
        "",
        `?cursor=${b64(junk())}`,
        `?cursor=${b64({ c: junk(), i: junk() })}`,
        "?cursor=%%%",
        `?cursor=${"A".repeat(10_000)}`,
        "?search=%00",
        `?query=${"x".repeat(5000)}`,
        "?sort=x&direction=y",
        "?a=1&a=2",
      ]);
    const headers = (): Record<string, string> => {
      const h: Record<string, string> = {};
      if (r() < 0.2) h.prefer = pick(["wait", "wait=abc", "wait=99999", "wait=0", "respond-async", "wait=-1"]);
      if (r() < 0.1) h["cancel-after"] = pick(["junk", "1e308", "-5", "5m", "1h2m3s", ""]);
      if (r() < 0.1) h.range = pick(["bytes=junk", "bytes=5-1", "bytes=-0", "bytes=0-999999999999999999999", "items=0-1"]);
      if (r() < 0.1) h.authorization = pick(["Bearer", "Token x", "Basic ??", "Bearer " + "x".repeat(8000)]);
      if (r() < 0.05) h["content-length"] = pick(["-1", "abc"]);
      if (r() < 0.05) h.origin = "http://127.0.0.1:1";
      return h;
    };

    const fails: string[] = [];
    const statuses = new Map<number, number>();
    let sent = 0;
    const one = async () => {
      const route = pick(routes);
      const path = route.path.replace(/\{[^}]+\}/g, (m) => {
        const name = m.slice(1, -1);
        return r() < 0.5 && known[name]?.length ? pick(known[name]) : segment();
      });
      const bodyless = ["GET", "HEAD"].includes(route.method);
      const b = bodyless || (route.method === "DELETE" && r() < 0.8) ? {} : body();
      const h = headers();
      if (b.type) h["content-type"] = b.type;
      let status: number;
      try {
        const res = await fetch(`${s.url}${path}${query()}`, { method: route.method, headers: h, body: b.text, signal: AbortSignal.timeout(30_000) });
        status = res.status;
        const text = await res.text();
        if (status >= 500) fails.push(`${route.method} ${path.slice(0, 120)} → ${status} ${text.slice(0, 200)}`);
      } catch (err) {
        // A header fetch refuses to send (e.g. a bad Content-Length) is the client's doing, not the server's.
        if (/content-length|header/i.test(String(err))) return;
        fails.push(`${route.method} ${path.slice(0, 120)} → no answer: ${err}`);
        status = 0;
      }
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    };

    // Raw requests fetch would not send: HTTP/1.0 without Host, absurd paths, broken framing.
    const raw = (text: string) =>
      new Promise<string>((resolve) => {
        const port = Number(new URL(s.url).port);
        const sock = connect(port, "127.0.0.1", () => sock.end(text));
        let data = "";
        sock.on("data", (d) => (data += d.toString()));
        sock.on("close", () => resolve(data));
        sock.on("error", () => resolve(data));
        sock.setTimeout(10_000, () => sock.destroy());
      });
    for (const text of [
      "GET /v1/predictions HTTP/1.0\r\n\r\n",
      "GET /v1/models/../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      "GET //v1//models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      `GET /${"a".repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
      "POST /v1/predictions HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n",
      "GET /v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\nX: \u0001\r\n\r\n",
    ]) {
      const head = (await raw(text)).split("\r\n")[0];
      const code = Number(head.split(" ")[1] ?? 0);
      if (code >= 500) fails.push(`raw ${JSON.stringify(text.slice(0, 60))} → ${head}`);
    }

    const run = (upTo: number) =>
      Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (sent < upTo) {
            sent++;
            await one();
          }
        }),
      );
    // Warm up at full concurrency (JIT, caches, the container, the heap's working size), then take
    // the memory baseline: what must come back is the steady state, not the size of a cold process.
    await run(1_500);
    await Bun.sleep(2_000);
    const baseline = s.rss();
    await run(TOTAL);
    const peak = s.rss();

    expect(fails.slice(0, 20)).toEqual([]);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    expect(s.proc.exitCode).toBeNull();
    // Memory comes back: allocator and GC need a moment; wait (bounded) for it to settle.
    let after = s.rss();
    await until("RSS back near its baseline", () => (after = s.rss()) <= baseline * 1.2, 30_000, 500).catch(() => {});
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    console.log(
      `fuzz: ${sent} requests + 6 raw; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}; ` +
        `RSS baseline ${mb(baseline)} MB, at the end ${mb(peak)} MB, settled ${mb(after)} MB (${((after / baseline) * 100).toFixed(0)}% of baseline)`,
    );
    expect(after).toBeLessThanOrEqual(baseline * 1.2);
  }, 600_000);
});
