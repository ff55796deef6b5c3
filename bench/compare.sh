#!/usr/bin/env bash
# Runs the shared proxy comparison (nginx, HAProxy, node-http-proxy, ...) with Junction as a subject.
# Usage: bench/compare.sh [compare.sh options...]     e.g.  bench/compare.sh -c 4096 -r 3 -o out.jsonl
# COMPARE_SH overrides where the shared runner lives (default: ../shared/bench/compare.sh beside the
# checkout). Builds Junction first. Subjects default to nginx, haproxy, node-http-proxy and node-raw.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
compare="${COMPARE_SH:-$root/../shared/bench/compare.sh}"
[[ -x "$compare" ]] || { echo "bench/compare.sh: no runner at $compare (set COMPARE_SH)" >&2; exit 1; }
(cd "$root" && npm run build --silent)
subjects="${SUBJECTS:-nginx,haproxy,node-http-proxy,node-raw}"
exec "$compare" --subjects "$subjects" "$@" "junction=$root/bench/proxy-subject.sh"
