#!/usr/bin/env bash
# Runs the browser tests: Playwright (playwright-core from npm) driving Debian's Chromium
# headless against a real `berth serve` and a real docker-registry.
# Usage: tests/ui/run.sh [test files...]   BERTH_BIN overrides the binary (default
# build/berth), CHROMIUM_BIN the browser (default /usr/bin/chromium). Screenshots go to
# tests/ui/artifacts/ (BERTH_UI_ARTIFACTS overrides).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export BERTH_BIN="${BERTH_BIN:-$repo/build/berth}"

for tool in node npm docker-registry; do
  command -v "$tool" >/dev/null || { echo "error: $tool is missing: run scripts/install-deps" >&2; exit 1; }
done
if [ ! -x "${CHROMIUM_BIN:-/usr/bin/chromium}" ]; then
  echo "error: Chromium is missing: run scripts/install-deps (Debian package chromium)" >&2
  exit 1
fi
if [ ! -f "$repo/web/dist/index.html" ]; then
  echo "error: the web UI is not built: run make build (or scripts/build-web)" >&2
  exit 1
fi

cd "$here"
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  if ! npm ci --no-audit --no-fund --loglevel=error; then
    echo "error: could not install playwright-core with npm: is the npm registry reachable?" >&2
    exit 1
  fi
fi
rm -rf "${BERTH_UI_ARTIFACTS:-$here/artifacts}"
if [ $# -eq 0 ]; then set -- *.test.mjs; fi
exec node --test --test-concurrency=1 "$@"
