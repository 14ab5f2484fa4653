// `modelhub completion bash`: the script, sourced into a real bash, completes commands,
// subcommands, flags and (from the server) model names.
import { afterAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/temp-dir.ts";

const ROOT = join(import.meta.dir, "../..");
// Each completion runs bash and the CLI; on a busy machine that is seconds.
setDefaultTimeout(60_000);
const stub = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: () => Response.json({ next: null, previous: null, results: [{ owner: "acme", name: "hello" }, { owner: "demo", name: "stream" }] }),
});
const bin = tempDir("modelhub-completion-");
afterAll(() => {
  stub.stop(true);
  bin[Symbol.dispose]();
});

/** COMPREPLY for the words typed so far (the last one is being completed). */
async function complete(...words: string[]): Promise<string[]> {
  mkdirSync(join(bin.path, "bin"), { recursive: true });
  // `modelhub` on PATH, as the script calls it for model names.
  writeFileSync(join(bin.path, "bin/modelhub"), `#!/bin/sh\nexec ${process.execPath} ${join(ROOT, "cli/main.ts")} "$@"\n`, { mode: 0o755 });
  const script = `source <(modelhub completion bash)\nCOMP_WORDS=(modelhub ${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length}; _modelhub; printf '%s\\n' "\${COMPREPLY[@]}"`;
  // Async: the stub server answers from this process.
  const p = Bun.spawn(["bash", "-c", script], { env: { ...process.env, PATH: `${join(bin.path, "bin")}:${process.env.PATH}`, MODELHUB_URL: stub.url.origin }, stdout: "pipe" });
  return (await new Response(p.stdout).text()).split("\n").filter(Boolean);
}

describe("modelhub completion", () => {
  it("completes commands, subcommands and flags", async () => {
    expect(await complete("pr")).toEqual(["predict", "predictions"]);
    expect(await complete("models", "")).toEqual(["add", "show", "update", "rm"]);
    expect(await complete("predict", "acme/hello", "--o")).toEqual(["--output-dir", "--output"]);
    expect(await complete("models", "rm", "acme/hello", "--")).toContain("--yes");
    expect(await complete("serve", "--da")).toEqual(["--data-dir"]);
  });

  it("completes model names from the server", async () => {
    expect(await complete("predict", "")).toEqual(["acme/hello", "demo/stream"]);
    expect(await complete("models", "show", "de")).toEqual(["demo/stream"]);
  });

  it("prints a zsh script too", () => {
    const r = Bun.spawnSync([process.execPath, join(ROOT, "cli/main.ts"), "completion", "zsh"]);
    expect(r.stdout.toString()).toStartWith("#compdef modelhub");
    expect(r.stdout.toString()).toContain("compdef _modelhub modelhub");
  });
});
