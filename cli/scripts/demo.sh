#!/usr/bin/env bash
# `npm start`: from a fresh machine to a running `modelhub serve` with demo models in its catalog.
# Installs packages and Docker if missing, builds the binary and the demo images (tiny stand-ins
# built locally, not machine-learning models), starts the server and imports the demos.
# Settings pass through: MODELHUB_PORT, MODELHUB_DATA_DIR, MODELHUB_HOST (see dist/modelhub --help).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
bash cli/scripts/ensure-deps.sh
bun=node_modules/.bin/bun

echo "==> building dist/modelhub" >&2
"$bun" run cli/build.ts >&2
echo "==> building the demo images (local stand-ins that speak the Cog protocol)" >&2
"$bun" run test/fixtures/build-images.ts >&2

port="${MODELHUB_PORT:-5100}"
export MODELHUB_URL="http://127.0.0.1:${port}"
export MODELHUB_DATA_DIR="${MODELHUB_DATA_DIR:-$root/modelhub-data}"
# In its own session, so a Ctrl-C reaches it once (through the trap below), not twice: modelhub reads
# a second signal as "stop now, skip the clean-up".
setsid ./dist/modelhub serve --port "$port" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server' INT TERM
for _ in $(seq 1 50); do curl -fsS "$MODELHUB_URL/v1/models" >/dev/null 2>&1 && break; sleep 0.2; done

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
