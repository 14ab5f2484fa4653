#!/usr/bin/env bash
# The test command (`npm test`): sets up what the tests need (packages, a Docker engine, the Cog
# fixture images), runs every test including the ones against the real engine, and ends with one
# line "N passed, N failed". Exits non-zero on any failure.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash cli/scripts/ensure-deps.sh || exit 1
# The web UI tests drive Debian's Chromium (playwright-core never downloads a browser).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" -eq 0 ]; then
  echo "==> installing chromium from Debian (for the web UI tests)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2 || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2; }
fi
# The node engines harness (test/helpers/node-engines.ts) simulates nvidia-smi with a static busybox
# and calls from its namespaces with curl.
if { [ ! -x /bin/busybox ] || ! command -v curl >/dev/null; } && [ "$(id -u)" -eq 0 ]; then
  echo "==> installing busybox-static and curl from Debian (for the node engines harness)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static curl >&2 || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static curl >&2; }
fi
bun=node_modules/.bin/bun
"$bun" run test/fixtures/build-images.ts || { echo "building the test images failed"; echo "0 passed, 1 failed"; exit 1; }

log="$root/.tmp/test-output.log"
MODELHUB_TEST_DOCKER=1 "$bun" test --timeout 60000 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# bun prints " N pass", " N fail" and " N skip" in its summary.
count() { grep -E "^ *[0-9]+ $1\$" "$log" | tail -1 | tr -dc '0-9'; }
passed=$(count pass); failed=$(count fail); skipped=$(count skip)
errors=$(grep -cE '^# Unhandled error' "$log" || true)
passed=${passed:-0}; failed=${failed:-0}; skipped=${skipped:-0}
failed=$((failed + errors))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
