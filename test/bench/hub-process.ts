// modelhub under test for the benchmarks, in its own process (test/bench/serve.ts) so the load
// generator does not share its event loop.
import { join } from "node:path";

export interface Hub {
  url: string;
  /** adds a local image as a version of `name` (owner/name); resolves with the version id */
  addModel(image: string, name: string): Promise<string>;
  stop(): Promise<void>;
}

/** `flags`: settings as `modelhub serve` takes them, e.g. { "inline-input-size": "0" }. */
export async function startHub(flags: Record<string, string> = {}): Promise<Hub> {
  const p = Bun.spawn([process.execPath, join(import.meta.dir, "serve.ts"), JSON.stringify(flags)], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  const reader = p.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) text += new TextDecoder().decode((await reader.read()).value);
  const { url } = JSON.parse(text) as { url: string };
  return {
    url,
    async addModel(image, name) {
      const res = await fetch(`${url}/v1/models/${name}/versions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ image }) });
      return ((await res.json()) as { id: string }).id;
    },
    async stop() {
      p.stdin.end();
      await p.exited;
    },
  };
}
