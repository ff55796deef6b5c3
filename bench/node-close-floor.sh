#!/usr/bin/env bash
# A compare.sh subject: Node's floor for a new connection per request (bench/node-close-floor.js).
# It answers by itself and never contacts $BACKEND_PORT: compare it with `--scenario close`.
#   SUBJECTS=nginx bench/compare.sh --scenario close -d 8 -r 3 "node-close-floor=bench/node-close-floor.sh"
set -euo pipefail
: "${PORT:?set PORT}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec node "$here/node-close-floor.js"
