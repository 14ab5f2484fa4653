#!/usr/bin/env bash
# Installs what modelhub needs on a fresh Debian machine and makes sure a Docker engine answers:
# npm packages (Bun comes from npm), docker.io from Debian when missing, dockerd started when none runs.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
mkdir -p .tmp

say() { printf '==> %s\n' "$*" >&2; }

if [ ! -x node_modules/.bin/bun ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

if ! docker info >/dev/null 2>&1; then
  if ! command -v dockerd >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
      say "Docker is not installed and this is not root: install docker.io (apt-get install docker.io) and start it, then run this again."
      exit 1
    fi
    say "installing docker.io from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq docker.io >&2
  fi
  if ! docker info >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
      say "No Docker engine is running and only root can start one here: run \`sudo systemctl start docker\` (or \`sudo dockerd &\`), then run this again."
      exit 1
    fi
    say "starting dockerd (log: .tmp/dockerd.log)"
    (setsid dockerd >"$root/.tmp/dockerd.log" 2>&1 &)
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    if ! docker info >/dev/null 2>&1; then
      say "dockerd did not come up within 60 s; see .tmp/dockerd.log"
      tail -20 "$root/.tmp/dockerd.log" >&2 || true
      exit 1
    fi
  fi
fi
say "Docker engine ready ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
