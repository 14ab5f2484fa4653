// `modelhub serve` as a child process on a free port: for tests that kill it, measure its memory,
// or need it in a process of its own. Resolves once it says where it listens.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");

export interface ServeChild {
  proc: ReturnType<typeof Bun.spawn>;
  url: string;
  /** everything it wrote to stderr so far */
  stderr(): string;
  /** resident memory in bytes, from /proc */
  rss(): number;
  /** SIGTERM, then SIGKILL after 15 s */
  stop(): Promise<void>;
}

export async function serveChild(dataDir: string, args: string[] = []): Promise<ServeChild> {
  const proc = Bun.spawn([process.execPath, "cli/main.ts", "serve", "--port", "0", "--data-dir", dataDir, "--log-level", "warn", ...args], {
    cwd: ROOT,
    stdout: "ignore",
    stderr: "pipe",
  });
  const reader = (proc.stderr as ReadableStream<Uint8Array>).getReader();
  let text = "";
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    const m = /serving on (http:\/\/[^\s]+)/.exec(text);
    if (!m) continue;
    // Keep draining stderr so the child never blocks on a full pipe.
    void (async () => {
      for (;;) {
        const r = await reader.read();
        if (r.done) break;
        text += new TextDecoder().decode(r.value);
      }
    })().catch(() => {});
    return {
      proc,
      url: m[1],
      stderr: () => text,
      rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8"))?.[1] ?? 0) * 1024,
      async stop() {
        if (proc.exitCode !== null) return;
        proc.kill("SIGTERM");
        const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
        await proc.exited;
        clearTimeout(timer);
      },
    };
  }
  proc.kill(9);
  throw new Error(`modelhub did not start:\n${text}`);
}
