#!/usr/bin/env bash
# Builds the modelhub container image from ./Dockerfile: compiles dist/modelhub when missing, then
# stages it with the shared libraries `ldd` lists into a temporary rootfs (no base image needed).
# Usage: bash cli/scripts/docker-image.sh [tag]   (default modelhub:latest)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tag="${1:-modelhub:latest}"
cd "$root"
[ -x dist/modelhub ] || node_modules/.bin/bun run cli/build.ts >&2
ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/rootfs/usr/local/bin" "$ctx/rootfs/tmp" "$ctx/rootfs/data" "$ctx/rootfs/etc"
cp dist/modelhub "$ctx/rootfs/usr/local/bin/modelhub"
for lib in $(ldd dist/modelhub | grep -oE '/[^ ]+'); do
  mkdir -p "$ctx/rootfs$(dirname "$lib")"
  cp -L "$lib" "$ctx/rootfs$lib"
done
printf 'hosts: files dns\n' > "$ctx/rootfs/etc/nsswitch.conf"
chmod 1777 "$ctx/rootfs/tmp"
cp Dockerfile "$ctx/Dockerfile"
docker build -q -t "$tag" "$ctx" >&2
echo "$tag"
