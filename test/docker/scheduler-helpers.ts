// Shared by the scheduler and recovery tests against the real engine: polling without tight timing,
// and removing every container a test's modelhub (by its owner label) started.
import { resolve } from "node:path";

/** The owner label value startServer derives from a data folder. */
export function ownerOf(dataDir: string): string {
  return new Bun.CryptoHasher("sha256").update(resolve(dataDir)).digest("hex").slice(0, 16);
}

export function docker(...args: string[]): { code: number; out: string } {
  const p = Bun.spawnSync(["docker", ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode ?? -1, out: (p.stdout.toString() + p.stderr.toString()).trim() };
}

/** Container ids of this data folder's modelhub (running or not). */
export function containersOf(dataDir: string, running = false): string[] {
  const r = docker("ps", ...(running ? [] : ["-a"]), "-q", "--filter", `label=dev.modelhub.owner=${ownerOf(dataDir)}`);
  return r.out ? r.out.split("\n").filter(Boolean) : [];
}

export function removeContainersOf(dataDir: string): void {
  const ids = containersOf(dataDir);
  if (ids.length) docker("rm", "-f", ...ids);
}

/** Polls `fn` until it returns a truthy value; generous deadline because the machine is shared. */
export { until } from "../helpers/until.ts";

export const TERMINAL = new Set(["succeeded", "failed", "canceled"]);
