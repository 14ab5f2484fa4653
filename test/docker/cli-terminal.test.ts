// What a person sees in a real terminal (tmux, 120x30): tokens appear while the prediction runs, the
// pull display redraws its lines in place (each layer once, one total), colour on a terminal and none
// with NO_COLOR.
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dockerTests, startLiveServer, type LiveServer } from "../helpers/live-server.ts";
import { type LocalRegistry, startLocalRegistry } from "../helpers/local-registry.ts";
import { tempDir } from "../helpers/temp-dir.ts";
import { until } from "../helpers/until.ts";

// Containers boot on first use and the machine may be busy: minutes, not the default 5 s.
setDefaultTimeout(120_000);

const ROOT = join(import.meta.dir, "../..");
const SOCKET = `modelhub-cli-test-${process.pid}`;
const CLI = `${process.execPath} ${join(ROOT, "cli/main.ts")}`;

function tmux(...args: string[]): string {
  const r = Bun.spawnSync(["tmux", "-L", SOCKET, ...args], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

describe.skipIf(!dockerTests)("modelhub in a terminal", () => {
  let s: LiveServer;
  let registry: LocalRegistry;
  let n = 0;
  beforeAll(async () => {
    s = await startLiveServer();
    await s.addModel("modelhub-test/stream:latest", "tty/stream");
    registry = await startLocalRegistry();
  }, 60_000);
  afterAll(async () => {
    try {
      tmux("kill-server");
    } catch {}
    await s?.[Symbol.asyncDispose]();
    await registry?.[Symbol.asyncDispose]();
  });

  /** A fresh 120x30 window running `command` in bash; returns its pane. */
  function open(command: string, env: Record<string, string> = {}): string {
    const name = `w${n++}`;
    const vars = Object.entries({ MODELHUB_URL: s.url, MODELHUB_DATA_DIR: s.dataDir, PS1: "$ ", ...env }).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    if (n === 1) tmux("new-session", "-d", "-s", "cli", "-x", "120", "-y", "30", "-n", name, ...vars, "bash --norc --noprofile");
    else tmux("new-window", "-t", "cli", "-n", name, ...vars, "bash --norc --noprofile");
    const pane = `cli:${name}`;
    tmux("send-keys", "-t", pane, `${command}; echo __DONE__$?`, "Enter");
    return pane;
  }
  const screen = (pane: string, escapes = false) => tmux("capture-pane", "-p", ...(escapes ? ["-e"] : []), "-t", pane);
  const exitCode = async (pane: string) => Number((await until(`${pane} to finish`, () => /^__DONE__(\d+)/m.exec(screen(pane)), 120_000, 100))[1]);

  it("shows tokens as they arrive, before the prediction ends", async () => {
    const pane = open(`${CLI} predict tty/stream -i prompt=tok -i count=200 -q`);
    await until("tokens on the screen", () => /^tok tok tok/m.test(screen(pane)), 60_000, 50);
    const p = (await s.api("GET", "/v1/predictions")).body.results[0];
    expect(p.status).toBe("processing");
    expect(await exitCode(pane)).toBe(0);
    const text = screen(pane);
    expect(text).toContain(Array(20).fill("tok").join(" "));
    expect(text).toContain("succeeded:");
  }, 90_000);

  it("redraws the pull progress in place: each layer on one line, one total", async () => {
    using dir = tempDir();
    writeFileSync(join(dir.path, "blob"), randomBytes(6_000_000));
    writeFileSync(join(dir.path, "Dockerfile"), "FROM modelhub-test/stream:latest\nCOPY blob /blob\n");
    const tag = `modelhub-test-cli/tty-src:${process.pid}`;
    expect(Bun.spawnSync(["docker", "build", "-q", "-t", tag, dir.path]).exitCode).toBe(0);
    const ref = await registry.push(tag, "acme/tty:v1");
    Bun.spawnSync(["docker", "rmi", tag, ref]);
    try {
      const pane = open(`${CLI} pull ${ref} --name acme/tty`);
      expect(await exitCode(pane)).toBe(0);
      const text = screen(pane);
      const layerLines = text.split("\n").filter((l) => /^[0-9a-f]{12}: /.test(l));
      expect(layerLines.length).toBeGreaterThanOrEqual(2);
      const ids = layerLines.map((l) => l.slice(0, 12));
      expect(new Set(ids).size).toBe(ids.length); // no layer printed twice: redrawn in place
      expect(layerLines.some((l) => /Pull complete/.test(l))).toBe(true);
      expect(text.match(/^Total: /gm)?.length).toBe(1);
      expect(text).toMatch(/Total: 6\.\d MB \/ 6\.\d MB .* ETA 0s/);
      expect(text).toContain(`Added ${ref} as acme/tty`);
    } finally {
      Bun.spawnSync(["docker", "rmi", ref]);
    }
  }, 120_000);

  it("uses colour on a terminal, none with NO_COLOR", async () => {
    const coloured = open(`${CLI} predictions --limit 3`);
    expect(await exitCode(coloured)).toBe(0);
    expect(screen(coloured, true)).toContain("\x1b[1mID");
    const plain = open(`${CLI} predictions --limit 3`, { NO_COLOR: "1" });
    expect(await exitCode(plain)).toBe(0);
    const text = screen(plain, true);
    expect(text).toMatch(/^ID\s+MODEL\s+STATUS/m);
    expect(text).not.toContain("\x1b[");
  }, 60_000);
});
