// Simulated GPUs for a harness node: what the NVIDIA container toolkit looks like to dockerd and to a
// container, minus the GPU.
//
// - dockerd registers its "nvidia" device driver only when `nvidia-container-runtime-hook` is on its
//   PATH; with it, `--gpus` / DeviceRequests are accepted and the daemon adds that hook (prestart)
//   and NVIDIA_VISIBLE_DEVICES to the container. The fake hook below does what the real one does for
//   the utility capability: it bind-mounts an `nvidia-smi` into the container (and the directory it
//   needs), inside the container's mount namespace before pivot_root.
// - That `nvidia-smi` is a busybox shell script printing this node's fixed inventory for
//   `--query-gpu=FIELDS --format=csv,noheader,nounits`, honouring NVIDIA_VISIBLE_DEVICES (uuids or
//   indices, or "all"), so a probe works in ANY image, as with the real toolkit.
// - The engine also gets a runtime named "nvidia" (really runc), as a toolkit install registers one.
import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface FakeGpu {
  index: number;
  uuid: string;
  name: string;
  memoryTotalMiB: number;
  memoryUsedMiB: number;
}

export const BUSYBOX = "/bin/busybox";
/** Where the hook mounts the fake driver directory inside a container. */
const IN_CONTAINER_DIR = "/usr/lib/modelhub-fake-nvidia";

export function fakeGpus(node: string, count: number): FakeGpu[] {
  return Array.from({ length: count }, (_, index) => ({
    index,
    // The same shape as a real one: GPU-8-4-4-4-12 hex.
    uuid: `GPU-${hex(node, 8)}-${hex(node + index, 4)}-4000-8000-${String(index).padStart(12, "0")}`,
    name: "NVIDIA Simulated A10",
    memoryTotalMiB: 24_576,
    memoryUsedMiB: 1 + index,
  }));
}

function hex(seed: string, len: number): string {
  let h = 2166136261;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h.toString(16).padStart(8, "0").repeat(2).slice(0, len);
}

const HOOK = `#!/bin/sh
# Fake nvidia-container-runtime-hook (prestart): mounts the fake driver files into the container.
[ "$1" = prestart ] || exit 0
state=$(cat)
pid=$(printf '%s' "$state" | sed -n 's/.*"pid": *\\([0-9]*\\).*/\\1/p')
bundle=$(printf '%s' "$state" | sed -n 's/.*"bundle": *"\\([^"]*\\)".*/\\1/p')
root=$(sed -n 's/.*"root": *{ *"path": *"\\([^"]*\\)".*/\\1/p' "$bundle/config.json")
case "$root" in /*) ;; *) root="$bundle/$root" ;; esac
[ -n "$pid" ] && [ -d "$root" ] || { echo "fake nvidia hook: no pid/root in state" >&2; exit 1; }
mkdir -p "$root${IN_CONTAINER_DIR}" "$root/usr/bin"
[ -e "$root/usr/bin/nvidia-smi" ] || : > "$root/usr/bin/nvidia-smi"
nsenter --mount --target "$pid" mount --bind "$FAKE_NVIDIA_DIR/driver" "$root${IN_CONTAINER_DIR}" &&
nsenter --mount --target "$pid" mount -o remount,bind,ro "$root${IN_CONTAINER_DIR}" &&
nsenter --mount --target "$pid" mount --bind "$FAKE_NVIDIA_DIR/driver/nvidia-smi" "$root/usr/bin/nvidia-smi"
`;

const NVIDIA_SMI = `#!${IN_CONTAINER_DIR}/busybox sh
# Fake nvidia-smi: prints this node's fixed inventory the way the real one answers a CSV query.
q=""; fmt=""
for a in "$@"; do
  case "$a" in --query-gpu=*) q="\${a#--query-gpu=}" ;; --format=*) fmt="\${a#--format=}" ;; esac
done
if [ -z "$q" ]; then echo "fake nvidia-smi: use --query-gpu=FIELDS --format=csv,noheader,nounits" >&2; exit 2; fi
exec ${IN_CONTAINER_DIR}/busybox awk -F', ' -v q="$q" -v vis="\${NVIDIA_VISIBLE_DEVICES:-all}" '
BEGIN { col["index"]=1; col["uuid"]=2; col["name"]=3; col["memory.total"]=4; col["memory.used"]=5
  n = split(q, want, ","); for (i = 1; i <= n; i++) if (!(want[i] in col)) { print "Field \\"" want[i] "\\" is not a valid field to query." > "/dev/stderr"; bad = 1; exit 2 }
  split(vis, v, ","); for (k in v) shown[v[k]] = 1 }
{ if (vis != "all" && !($1 in shown) && !($2 in shown)) next
  line = ""; for (i = 1; i <= n; i++) line = line (i > 1 ? ", " : "") $(col[want[i]]); print line }
' ${IN_CONTAINER_DIR}/gpus.csv
`;

/**
 * Writes the fake toolkit for one node under dir: `bin/` (put first on dockerd's PATH) and
 * `driver/` (what containers asking for GPUs see). Returns the env and daemon.json fields.
 */
export function writeFakeNvidia(dir: string, gpus: FakeGpu[]): { pathDir: string; env: Record<string, string>; daemonConfig: Record<string, unknown> } {
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing (Debian package busybox-static): the simulated nvidia-smi needs it`);
  const bin = join(dir, "bin");
  const driver = join(dir, "driver");
  mkdirSync(bin, { recursive: true });
  mkdirSync(driver, { recursive: true });
  writeFileSync(join(bin, "nvidia-container-runtime-hook"), HOOK, { mode: 0o755 });
  writeFileSync(join(driver, "nvidia-smi"), NVIDIA_SMI, { mode: 0o755 });
  copyFileSync(BUSYBOX, join(driver, "busybox"));
  chmodSync(join(driver, "busybox"), 0o755);
  const csv = gpus.map((g) => [g.index, g.uuid, g.name, g.memoryTotalMiB, g.memoryUsedMiB].join(", ")).join("\n");
  writeFileSync(join(driver, "gpus.csv"), csv + "\n");
  return {
    pathDir: bin,
    env: { FAKE_NVIDIA_DIR: dir },
    daemonConfig: { runtimes: { nvidia: { path: "runc" } } },
  };
}
