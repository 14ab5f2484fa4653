#!/usr/bin/env bash
# `npm start`: from a fresh machine to a running `modelhub serve` with demo models in its catalog.
# Installs packages and Docker if missing, builds the binary and the demo images (tiny stand-ins
# built locally, not machine-learning models), starts the server and imports the demos.
# Settings pass through: MODELHUB_PORT, MODELHUB_DATA_DIR, MODELHUB_HOST (see dist/modelhub --help).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
port="${MODELHUB_PORT:-5100}"
export MODELHUB_URL="http://127.0.0.1:${port}"
export MODELHUB_DATA_DIR="${MODELHUB_DATA_DIR:-$root/modelhub-data}"
# A second `npm start` while the first runs: say so once, and leave the first one alone.
answers() { [ "$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "$MODELHUB_URL/health" 2>/dev/null)" != "000" ]; }
if answers; then
  echo "modelhub is already running at $MODELHUB_URL: use that one (Ctrl-C in its terminal stops it), or start another with MODELHUB_PORT=5101 MODELHUB_DATA_DIR=./other-data npm start" >&2
  exit 1
fi
bash cli/scripts/ensure-deps.sh
bun=node_modules/.bin/bun

echo "==> building dist/modelhub" >&2
"$bun" run cli/build.ts >&2
echo "==> building the demo images (local stand-ins that speak the Cog protocol)" >&2
"$bun" run test/fixtures/build-images.ts hello image stream >&2

# In its own session, so a Ctrl-C reaches it once (through the trap below), not twice: modelhub reads
# a second signal as "stop now, skip the clean-up".
setsid ./dist/modelhub serve --port "$port" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server' INT TERM
for _ in $(seq 1 50); do
  answers && break
  # It exited (the port or the data folder is taken): it said why; nothing more to add.
  kill -0 $server 2>/dev/null || { wait $server || true; exit 1; }
  sleep 0.2
done

for m in hello image stream; do
  ./dist/modelhub models add "modelhub-test/$m:latest" --name "demo/$m" >/dev/null
  curl -fsS -X PATCH "$MODELHUB_URL/v1/models/demo/$m" -H 'content-type: application/json' \
    -d "{\"description\":\"DEMO: a tiny stand-in built locally by npm start (not a real ML model): $m\"}" >/dev/null
done
./dist/modelhub models >&2
cat >&2 <<MSG

modelhub is running at $MODELHUB_URL (data in $MODELHUB_DATA_DIR). Try:
  curl -s -X POST -H 'Prefer: wait' -H 'content-type: application/json' \\
    -d '{"version":"demo/hello","input":{"text":"world"}}' $MODELHUB_URL/v1/predictions
Ctrl-C stops it.
MSG
wait $server
