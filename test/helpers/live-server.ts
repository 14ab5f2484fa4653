// Starts a real modelhub server in-process (real SQLite file in a temp dir, real Docker engine),
// on a free loopback port. For the tests under test/docker/.
import { rmSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type Config } from "../../server/config.ts";
import { silentLogger } from "../../server/log.ts";
import { startServer, type RunningServer } from "../../server/server.ts";
import type { RegistryAccessPolicy } from "../../server/registry/access.ts";

export interface LiveServer extends RunningServer {
  dataDir: string;
  config: Readonly<Config>;
  /** POST/GET helper returning status and parsed JSON body */
  api<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T; headers: Headers }>;
  /** imports a local image as owner/name and returns the version id */
  addModel(image: string, name: string): Promise<string>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function startLiveServer(
  flags: Record<string, string> = {},
  opts: { keepDataDir?: string; registryPolicy?: RegistryAccessPolicy } = {},
): Promise<LiveServer> {
  const dataDir = opts.keepDataDir ?? mkdtempSync(join(tmpdir(), "modelhub-live-"));
  const config = loadConfig({}, { port: "0", "data-dir": dataDir, "idle-timeout": "60", ...flags });
  const server = await startServer(config, { logger: silentLogger, version: "test", registryPolicy: opts.registryPolicy });
  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {}
    return { status: res.status, body: parsed as any, headers: res.headers };
  };
  const live: LiveServer = {
    ...server,
    dataDir,
    config,
    api,
    async addModel(image, name) {
      const r = await api("POST", `/v1/models/${name}/versions`, { image });
      if (r.status >= 300) throw new Error(`adding ${image} failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.id as string;
    },
    async [Symbol.asyncDispose]() {
      await server.stop();
      if (!opts.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return live;
}

export const dockerTests = process.env.MODELHUB_TEST_DOCKER === "1";
