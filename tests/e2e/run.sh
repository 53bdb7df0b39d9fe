#!/usr/bin/env bash
# Runs the end-to-end suite with Debian's python (pytest, requests come from apt).
# Usage: tests/e2e/run.sh [pytest args...]   (BERTH_BIN overrides the binary path,
# default build/berth). Needs docker-registry, skopeo and htpasswd on PATH.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export BERTH_BIN="${BERTH_BIN:-$repo/build/berth}"
cd "$here"
exec /usr/bin/python3 -m pytest "$@"
