// The registry on a real listener (`modelhub serve` in its own process): a layer upload may take
// longer than --request-timeout while its body keeps arriving (Bun's idle timer alone would cut it),
// a stalled one is cut, a TLS ClientHello on the plain port (Docker's HTTPS probe) is refused without
// an error in the log, and no Authorization value ever reaches the log.
import { afterAll, beforeAll, expect, it } from "bun:test";
import { connect } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveChild, type ServeChild } from "../helpers/serve-child.ts";

const dir = mkdtempSync(join(tmpdir(), "modelhub-registry-listener-"));
let child: ServeChild;
let token = "";
const sha = (b: Uint8Array<ArrayBuffer>) => `sha256:${new Bun.CryptoHasher("sha256").update(b).digest("hex")}`;

beforeAll(async () => {
  child = await serveChild(dir, ["--auth", "on", "--request-timeout", "2", "--log-level", "debug"]);
  token = (await Bun.file(join(dir, "admin-token")).text()).trim();
});
afterAll(async () => {
  await child?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const auth = () => ({ authorization: `Bearer ${token}` });

async function pushBlob(repo: string, bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const post = await fetch(`${child.url}/v2/${repo}/blobs/uploads/`, { method: "POST", headers: auth() });
  expect(post.status).toBe(202);
  const digest = sha(bytes);
  const put = await fetch(`${child.url}${post.headers.get("location")}?digest=${digest}`, { method: "PUT", headers: auth(), body: bytes });
  expect(put.status).toBe(201);
  return digest;
}

/** A chunked PATCH over a raw socket: `pieces` of 64 KiB, `gapMs` apart; resolves with the response head. */
function slowPatch(path: string, pieces: number, gapMs: number, thenStallMs = 0): Promise<string> {
  const url = new URL(child.url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(url.port), url.hostname);
    let got = "";
    s.on("data", (d: Buffer) => {
      got += d.toString("latin1");
      if (got.includes("\r\n\r\n")) {
        resolve(got.slice(0, got.indexOf("\r\n\r\n")));
        s.destroy();
      }
    });
    s.on("close", () => resolve(got));
    s.on("error", reject);
    s.on("connect", async () => {
      s.write(`PATCH ${path} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token}\r\nTransfer-Encoding: chunked\r\n\r\n`);
      const piece = Buffer.alloc(65536, 7);
      for (let i = 0; i < pieces; i++) {
        s.write(`${piece.length.toString(16)}\r\n`);
        s.write(piece);
        s.write("\r\n");
        await Bun.sleep(gapMs);
      }
      if (thenStallMs) await Bun.sleep(thenStallMs);
      if (!s.destroyed) s.write("0\r\n\r\n");
    });
  });
}

it("an upload body that takes longer than --request-timeout goes through; one that stalls longer is cut", async () => {
  const post = await fetch(`${child.url}/v2/alice/slow/blobs/uploads/`, { method: "POST", headers: auth() });
  const loc = post.headers.get("location")!;
  // 5 s of body at a 2 s --request-timeout, a piece every 250 ms
  const head = await slowPatch(loc, 20, 250);
  expect(head).toStartWith("HTTP/1.1 202");
  expect(head.toLowerCase()).toContain(`range: 0-${20 * 65536 - 1}`);
  // nothing for 4 s after the first piece: the upload is cut and its session dropped (404 on retry)
  const post2 = await fetch(`${child.url}/v2/alice/slow/blobs/uploads/`, { method: "POST", headers: auth() });
  const loc2 = post2.headers.get("location")!;
  const cut = await slowPatch(loc2, 1, 0, 4_000);
  expect(cut).toStartWith("HTTP/1.1 400");
  expect((await fetch(`${child.url}${loc2}`, { headers: auth() })).status).toBe(404);
  expect(child.stderr()).not.toContain("ERROR");
}, 60_000);

it("a TLS ClientHello on the plain port is refused and logs no error", async () => {
  const url = new URL(child.url);
  // The first bytes of a TLS 1.2 ClientHello record, as Docker's HTTPS probe sends them.
  const hello = Buffer.from("16030100a5010000a10303" + "00".repeat(32) + "000002c02f0100007600000014001200000f6d6f64656c6875622e6578616d706c65", "hex");
  const answer = await new Promise<string>((resolve) => {
    const s = connect(Number(url.port), url.hostname, () => s.write(hello));
    let got = "";
    s.on("data", (d) => (got += d.toString("latin1")));
    s.on("close", () => resolve(got));
    s.on("error", () => resolve(got));
    setTimeout(() => s.destroy(), 5_000);
  });
  expect(answer).not.toContain("HTTP/1.1 200");
  // the server is still up and answers the registry ping
  expect((await fetch(`${child.url}/v2/`, { headers: auth() })).status).toBe(200);
  await Bun.sleep(200);
  expect(child.stderr()).not.toMatch(/ERROR|panic|uncaught/i);
});

it("no Authorization value reaches the log, for good, wrong or garbled credentials", async () => {
  const logStart = child.stderr().length;
  const wrong = "mh_wrongwrongwrongwrongwrongwrongwrongwrong1";
  const basic = Buffer.from(`someone:${wrong}`).toString("base64");
  expect((await fetch(`${child.url}/v2/token?scope=repository:alice/x:push,pull`, { headers: { authorization: `Basic ${basic}` } })).status).toBe(401);
  expect((await fetch(`${child.url}/v2/alice/x/tags/list`, { headers: { authorization: `Bearer ${wrong}` } })).status).toBe(401);
  expect((await fetch(`${child.url}/v2/alice/x/tags/list`, { headers: { authorization: "Basic %%%garbled" } })).status).toBe(401);
  const good = Buffer.from(`admin:${token}`).toString("base64");
  const issued = await fetch(`${child.url}/v2/token?scope=repository:alice/x:push,pull`, { headers: { authorization: `Basic ${good}` } });
  expect(issued.status).toBe(200);
  const { token: registryToken } = (await issued.json()) as { token: string };
  await pushBlob("alice/x", new TextEncoder().encode("a layer"));
  await Bun.sleep(200);
  // (from this test on: the first start prints the admin token once, by design)
  const log = child.stderr().slice(logStart);
  for (const secret of [wrong, basic, token, good, registryToken, "%%%garbled"]) expect(log).not.toContain(secret);
});
