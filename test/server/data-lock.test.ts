// One server per data folder: a second `modelhub serve` on a folder in use refuses before it touches
// anything, naming the first one's pid and URL; a lock left by a dead process is taken over.
import { afterAll, describe, expect, it } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DataFolderInUse, lockDataFolder } from "../../server/db/data-lock.ts";

const ROOT = resolve(import.meta.dir, "../..");
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "modelhub-lock-"));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("data folder lock", () => {
  it("refuses a folder whose lock names a live process, with its pid and URL", () => {
    const dir = tempDir();
    const other = Bun.spawn(["sleep", "30"]);
    try {
      writeFileSync(join(dir, "modelhub.lock"), JSON.stringify({ pid: other.pid, url: "http://127.0.0.1:5999", startedAt: "2026-01-01T00:00:00Z" }));
      let err: unknown;
      try {
        lockDataFolder(dir);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DataFolderInUse);
      expect((err as Error).message).toContain(`pid ${other.pid}`);
      expect((err as Error).message).toContain("http://127.0.0.1:5999");
      expect((err as Error).message).toContain("--data-dir");
    } finally {
      other.kill();
    }
  });

  it("takes over a lock left by a process that is gone, and releases only its own", async () => {
    const dir = tempDir();
    const gone = Bun.spawn(["true"]);
    await gone.exited;
    writeFileSync(join(dir, "modelhub.lock"), JSON.stringify({ pid: gone.pid, startedAt: "2026-01-01T00:00:00Z" }));
    const lock = lockDataFolder(dir);
    lock.setUrl("http://127.0.0.1:1234");
    const owner = JSON.parse(readFileSync(join(dir, "modelhub.lock"), "utf8"));
    expect(owner.pid).toBe(process.pid);
    expect(owner.url).toBe("http://127.0.0.1:1234");
    lock.release();
    expect(existsSync(join(dir, "modelhub.lock"))).toBe(false);
  });

  it("a second `modelhub serve` on the same folder (another port) exits 1 and leaves the first serving", async () => {
    const dir = tempDir();
    const serve = () =>
      Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), "serve", "--port", "0", "--data-dir", dir, "--log-level", "error", "--gpus", "none"], {
        stdout: "pipe",
        stderr: "pipe",
      });
    const first = serve();
    try {
      // The first prints its URL once it listens.
      const reader = first.stderr.getReader();
      let seen = "";
      while (!/serving on (http:\/\/\S+)/.test(seen)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the first server exited: ${seen}`);
        seen += new TextDecoder().decode(value);
      }
      const url = seen.match(/serving on (http:\/\/\S+)/)![1];
      const second = serve();
      const [code, err] = await Promise.all([second.exited, new Response(second.stderr).text()]);
      expect(code).toBe(1);
      expect(err).toContain(`in use by another modelhub (pid ${first.pid}, serving ${url}`);
      // The first one was not disturbed.
      const res = await fetch(`${url}/v1/models`);
      expect(res.status).toBe(200);
    } finally {
      first.kill("SIGTERM");
      await first.exited;
    }
    expect(existsSync(join(dir, "modelhub.lock"))).toBe(false);
  }, 60_000);
});
