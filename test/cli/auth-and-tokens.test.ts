// The CLI's token handling and `modelhub tokens` against a stub HTTP server that records what it is
// sent (the real /v1/tokens routes are tested with the server; this checks the CLI's side).
import { afterAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { resolveToken, wantColor } from "../../cli/context.ts";
import { loadConfig } from "../../server/config.ts";
import { tempDir } from "../helpers/temp-dir.ts";

const ROOT = join(import.meta.dir, "../..");
// Each test spawns the CLI a few times; on a busy machine that is seconds.
setDefaultTimeout(60_000);
const seen: { method: string; path: string; auth: string | null; body: string }[] = [];
const stub = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(req) {
    const url = new URL(req.url);
    seen.push({ method: req.method, path: url.pathname, auth: req.headers.get("authorization"), body: await req.text() });
    if (url.pathname === "/v1/tokens" && req.method === "POST")
      return Response.json({ id: "tok_1", name: "laptop", role: "user", token: "mh_" + "a".repeat(43), created_at: new Date().toISOString() }, { status: 201 });
    if (url.pathname === "/v1/tokens") return Response.json({ next: null, previous: null, results: [{ id: "tok_1", name: "laptop", role: "user", created_at: new Date().toISOString(), last_used_at: null }] });
    if (url.pathname === "/v1/tokens/laptop") return new Response(null, { status: 204 });
    if (url.pathname === "/v1/models" && req.headers.get("authorization") === "Bearer bad")
      return Response.json({ title: "Unauthenticated", detail: "You did not pass a valid authentication token", status: 401 }, { status: 401 });
    return Response.json({ next: null, previous: null, results: [] });
  },
});
afterAll(() => stub.stop(true));

async function cli(args: string[], env: Record<string, string> = {}) {
  const e: Record<string, string | undefined> = { ...process.env, MODELHUB_URL: stub.url.origin, MODELHUB_TOKEN: undefined, MODELHUB_DATA_DIR: "/nonexistent", ...env };
  const p = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), ...args], { env: e as Record<string, string>, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { out, err, code };
}

describe("modelhub CLI tokens", () => {
  it("sends --token, else MODELHUB_TOKEN, else the data folder's admin-token, as a Bearer header", async () => {
    using dir = tempDir();
    writeFileSync(join(dir.path, "admin-token"), "mh_fromfile\n", { mode: 0o600 });
    await cli(["models", "--token", "mh_flag"], { MODELHUB_TOKEN: "mh_env" });
    expect(seen.at(-1)!.auth).toBe("Bearer mh_flag");
    await cli(["models"], { MODELHUB_TOKEN: "mh_env" });
    expect(seen.at(-1)!.auth).toBe("Bearer mh_env");
    await cli(["models", "--data-dir", dir.path]);
    expect(seen.at(-1)!.auth).toBe("Bearer mh_fromfile");
    await cli(["models"]);
    expect(seen.at(-1)!.auth).toBeNull();
  });

  it("reads the admin token only for a server on this machine", () => {
    using dir = tempDir();
    writeFileSync(join(dir.path, "admin-token"), "mh_local\n");
    expect(resolveToken(loadConfig({}, { url: "http://127.0.0.1:5100", "data-dir": dir.path }))).toBe("mh_local");
    expect(resolveToken(loadConfig({}, { url: "http://localhost:5100", "data-dir": dir.path }))).toBe("mh_local");
    expect(resolveToken(loadConfig({}, { url: "http://gpu-box.lan:5100", "data-dir": dir.path }))).toBeUndefined();
  });

  it("a 401 says how to pass a token, once", async () => {
    const r = await cli(["models", "--token", "bad"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("error (HTTP 401)");
    expect(r.err).toContain("MODELHUB_TOKEN");
    expect(r.err.trim().split("\n").length).toBe(1);
  });

  it("tokens create prints the token alone on stdout; list and revoke", async () => {
    const c = await cli(["tokens", "create", "--name", "laptop", "--token", "mh_admin"]);
    expect(c.code).toBe(0);
    expect(c.out).toBe("mh_" + "a".repeat(43) + "\n");
    expect(c.err).toContain("shown only now");
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ name: "laptop" });
    const l = await cli(["tokens", "--json"]);
    expect(JSON.parse(l.out)[0]).toMatchObject({ id: "tok_1", name: "laptop" });
    expect((await cli(["tokens"])).out).toMatch(/ID\s+NAME\s+ROLE[\s\S]*laptop\s+user/);
    expect((await cli(["tokens", "revoke", "laptop"])).out).toContain("Revoked laptop");
    expect(seen.at(-1)).toMatchObject({ method: "DELETE", path: "/v1/tokens/laptop" });
    expect((await cli(["tokens", "create", "--name", "x", "--role", "root"])).code).toBe(2);
  });

  it("colour: --color wins, then NO_COLOR, then whether it is a terminal", () => {
    expect(wantColor(undefined, {}, true)).toBe(true);
    expect(wantColor(undefined, { NO_COLOR: "1" }, true)).toBe(false);
    expect(wantColor("always", { NO_COLOR: "1" }, false)).toBe(true);
    expect(wantColor("never", {}, true)).toBe(false);
    expect(wantColor(undefined, {}, false)).toBe(false);
  });

  it("every command has --help with examples; unknown flags are usage errors", async () => {
    const h = await cli(["models", "rm", "--help"]);
    expect(h.out).toContain("Usage: modelhub models rm MODEL[:VERSION] [--yes]");
    expect(h.out).toContain("Examples:");
    const bad = await cli(["predictions", "--bogus"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("unknown flag --bogus");
  });
});
