// A throwaway Docker registry (Debian's docker-registry binary) on 127.0.0.1 and a random port, its
// storage in a temp dir; the engine treats 127.0.0.0/8 registries as insecure, so plain HTTP works.
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { tempDir } from "./temp-dir.ts";
import { until } from "./until.ts";

export const REGISTRY_BIN = "/usr/bin/docker-registry";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export interface LocalRegistry {
  /** host:port, e.g. 127.0.0.1:40123 */
  host: string;
  /** docker tag + docker push of a local image; returns the pushed reference */
  push(image: string, repo: string): Promise<string>;
  [Symbol.asyncDispose](): Promise<void>;
}

async function run(...cmd: string[]) {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} failed (${code}): ${err || out}`);
  return out;
}

export async function startLocalRegistry(): Promise<LocalRegistry> {
  const dir = tempDir("modelhub-registry-");
  const port = await freePort();
  const config = join(dir.path, "config.yml");
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir.path, "data")}\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  const proc = Bun.spawn([REGISTRY_BIN, "serve", config], { stdout: "ignore", stderr: "ignore" });
  const host = `127.0.0.1:${port}`;
  await until("the local registry to answer", async () => (await fetch(`http://${host}/v2/`).catch(() => null))?.ok, 20_000);
  const tags: string[] = [];
  return {
    host,
    async push(image, repo) {
      const ref = `${host}/${repo}`;
      await run("docker", "tag", image, ref);
      tags.push(ref);
      await run("docker", "push", ref);
      return ref;
    },
    async [Symbol.asyncDispose]() {
      // Only the tags this registry made (the images behind them are other tests' fixtures).
      for (const t of tags) await run("docker", "rmi", t).catch(() => {});
      proc.kill();
      await proc.exited;
      dir[Symbol.dispose]();
    },
  };
}
