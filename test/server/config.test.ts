import { describe, expect, it } from "bun:test";
import { ConfigError, loadConfig, SETTINGS, settingsHelp } from "../../server/config.ts";

describe("config", () => {
  it("uses defaults when nothing is set", () => {
    const c = loadConfig({});
    expect(c.host).toBe("127.0.0.1");
    expect(c.port).toBe(5100);
    expect(c.dataDir).toBe("./modelhub-data");
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("lets flags win over environment variables, and variables over defaults", () => {
    const c = loadConfig({ MODELHUB_PORT: "6000", MODELHUB_HOST: "0.0.0.0" }, { port: "7000" });
    expect(c.port).toBe(7000);
    expect(c.host).toBe("0.0.0.0");
  });

  it("rejects values of the wrong type, naming the setting", () => {
    expect(() => loadConfig({ MODELHUB_PORT: "abc" })).toThrow(new ConfigError('MODELHUB_PORT must be an integer, got "abc"'));
    expect(() => loadConfig({}, { "idle-timeout": "soon" })).toThrow(/--idle-timeout must be a number/);
    expect(() => loadConfig({}, { port: "70000" })).toThrow(/between 0 and 65535/);
    expect(() => loadConfig({}, { "node-registry-url": "http://10.0.0.1:5100" })).toThrow(/--node-registry-url must be HOST:PORT/);
    expect(loadConfig({ MODELHUB_NODE_REGISTRY_URL: "10.0.0.1:5100" }).nodeRegistryUrl).toBe("10.0.0.1:5100");
  });

  it("parses byte sizes once, at load: defaults and given values become numbers of bytes", () => {
    const c = loadConfig({ MODELHUB_MAX_LOG_SIZE: "512" }, { "max-body-size": "1.5k", "shm-size": "2g" });
    expect([c.maxLogSize, c.maxBodySize, c.shmSize]).toEqual([512, 1536, 2 * 1024 ** 3]);
    expect([c.maxFileSize, c.inlineInputSize]).toEqual([100 * 1024 ** 2, 32 * 1024]);
    expect(() => loadConfig({}, { "max-file-size": "lots" })).toThrow(new ConfigError('--max-file-size must be a size like 100m, 2g or 32k, got "lots"'));
  });

  it("documents every setting in the help text with its flag, variable and default", () => {
    const help = settingsHelp();
    for (const s of SETTINGS) {
      expect(help).toContain(s.flag);
      expect(help).toContain(s.env);
      expect(help).toContain(s.description);
    }
  });
});
