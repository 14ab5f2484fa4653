// Tiny images for registry tests against the real engine: FROM scratch plus one file of random
// bytes (so its layer is new to the engine), with the Cog labels of a fixture image or none.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export async function run(cmd: string[], env: Record<string, string> = {}, stdin?: string): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn(cmd, { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe", stdin: stdin === undefined ? "ignore" : "pipe" });
  if (stdin !== undefined && p.stdin) {
    p.stdin.write(stdin);
    await p.stdin.end();
  }
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}

/** The Cog labels of an existing image (a fixture), to stamp onto a new one. */
export async function labelsOf(image: string): Promise<Record<string, string>> {
  const r = await run(["docker", "image", "inspect", image, "--format", "{{json .Config.Labels}}"]);
  const all = JSON.parse(r.out) as Record<string, string>;
  return Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith("run.cog.")));
}

/** Builds `tag` from scratch with `bytes` random bytes in one layer and these labels. */
export async function buildRandomImage(tag: string, bytes: number, labels: Record<string, string>, base = "scratch"): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "modelhub-reg-img-"));
  try {
    const chunk = 16 * 1024 * 1024;
    const f = Bun.file(join(dir, "payload.bin")).writer();
    for (let left = bytes; left > 0; left -= chunk) f.write(randomBlock(Math.min(chunk, left)));
    await f.end();
    writeFileSync(join(dir, "Dockerfile"), `FROM ${base}\nCOPY payload.bin /payload.bin\n`);
    const r = await run(["docker", "build", "-q", "-t", tag, ...Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]), dir], { DOCKER_BUILDKIT: "0" });
    if (r.code !== 0) throw new Error(`docker build failed: ${r.err}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function randomBlock(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/**
 * Removes every name under `host` (127.0.0.1:PORT of a test's own server), tags and digests alike.
 * By name, never by ID: a pulled image may share its ID with a fixture image, which must stay.
 */
export async function removeImagesOf(host: string): Promise<void> {
  const out = (await run(["docker", "images", "--digests", "--format", "{{.Repository}} {{.Tag}} {{.Digest}}", "--filter", `reference=${host}/*/*`])).out;
  const names = new Set<string>();
  for (const line of out.split("\n").filter(Boolean)) {
    const [repo, tag, digest] = line.split(" ");
    if (tag && tag !== "<none>") names.add(`${repo}:${tag}`);
    if (digest && digest !== "<none>") names.add(`${repo}@${digest}`);
  }
  for (const name of names) await run(["docker", "rmi", name]);
}
