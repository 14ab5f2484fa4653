// Safe by default: on any address but loopback, modelhub will not start without tokens unless told
// so in so many words, and its absolute URLs never come from an unchecked Host header.
import { describe, expect, it } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../server/config.ts";
import { silentLogger } from "../../server/log.ts";
import { defaultPublicUrl } from "../../server/http/public-origin.ts";
import { checkExposure, startServer } from "../../server/server.ts";
import { tempDir } from "../helpers/temp-dir.ts";

describe("listening on the network", () => {
  it("refuses --host 0.0.0.0 with --auth off, saying why and what to do", async () => {
    using dir = tempDir("modelhub-exposure-");
    const config = loadConfig({}, { host: "0.0.0.0", port: "0", auth: "off", "data-dir": dir.path, "callback-host": "off" });
    const err = await startServer(config, { logger: silentLogger }).then(() => null, (e: Error) => e);
    expect(err?.message).toContain("refusing to listen on 0.0.0.0 with --auth off");
    expect(err?.message).toContain("--allow-open-network");
    // nothing was created: the refusal comes before the database
    expect(existsSync(join(dir.path, "modelhub.db"))).toBe(false);
  });

  it("allows it when told explicitly, and always on loopback or with tokens", () => {
    expect(() => checkExposure(loadConfig({}, { host: "0.0.0.0", auth: "off", "allow-open-network": "true" }))).not.toThrow();
    expect(() => checkExposure(loadConfig({}, { host: "127.0.0.1", auth: "off" }))).not.toThrow();
    expect(() => checkExposure(loadConfig({}, { host: "0.0.0.0" }))).not.toThrow();
    expect(() => checkExposure(loadConfig({}, { host: "192.168.1.5", auth: "off" }))).toThrow("refusing");
  });

  it("makes URLs on --public-url, else on the bound address, never on the request's Host", () => {
    const lan = () => "10.1.2.3";
    expect(defaultPublicUrl("0.0.0.0", 5100, "https://models.lab.example", lan)).toBe("https://models.lab.example");
    expect(defaultPublicUrl("192.168.1.5", 5100, "", lan)).toBe("http://192.168.1.5:5100");
    expect(defaultPublicUrl("0.0.0.0", 5100, "", lan)).toBe("http://10.1.2.3:5100");
    // on loopback the Host guard checks the Host, so URLs follow it (localhost vs 127.0.0.1)
    expect(defaultPublicUrl("127.0.0.1", 5100, "", lan)).toBe("");
  });
});

describe("the first start with auth on", () => {
  it("writes an admin token to <data-dir>/admin-token (0600) once, and requires tokens", async () => {
    using dir = tempDir("modelhub-first-");
    const config = loadConfig({}, { port: "0", "data-dir": dir.path, "callback-host": "off" });
    const lines: string[] = [];
    const logger = { ...silentLogger, warn: (m: string) => void lines.push(m) };
    const first = await startServer(config, { logger });
    try {
      const file = join(dir.path, "admin-token");
      const token = readFileSync(file, "utf8").trim();
      expect(token).toMatch(/^mh_[A-Za-z0-9_-]{43}$/);
      expect(first.adminToken).toBe(token);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(lines.some((l) => l.includes(token) && l.includes(file))).toBe(true); // printed once, with its path
      expect((await fetch(`${first.url}/v1/models`)).status).toBe(401);
      expect((await fetch(`${first.url}/v1/models`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect((await fetch(`${first.url}/v1/models`, { headers: { authorization: `Token ${token}` } })).status).toBe(200);
      const account = await (await fetch(`${first.url}/v1/account`, { headers: { authorization: `Bearer ${token}` } })).json();
      expect(account).toMatchObject({ role: "admin", auth: "on" });
      expect((await fetch(`${first.url}/health`)).status).not.toBe(401);
    } finally {
      await first.stop();
    }
    // the second start keeps it and prints nothing new
    lines.length = 0;
    const second = await startServer(config, { logger });
    await second.stop();
    expect(second.adminToken).toBeNull();
    expect(lines.some((l) => l.includes("mh_"))).toBe(false);
  });
});
