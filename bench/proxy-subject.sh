#!/usr/bin/env bash
# Starts Junction in the foreground on 127.0.0.1:$PORT, proxying every request to one backend at
# 127.0.0.1:$BACKEND_PORT. The benchmark harness and outside test suites drive Junction through this.
# Stops cleanly on SIGTERM (Junction's graceful shutdown). Needs a built dist/ (npm run build).
# STRATEGY (optional) is the cluster's strategy as YAML, e.g. 'weighted-round-robin' or
# '{ kind: consistent-hash, key: path }'; the default is round robin.
# HOOKS (optional) is 'sync' or 'async': five hooks of bench/plugins/five-hooks.js run per request.
# RULES (optional) is a number N: N top-level rules run per request, each a `with:` on the path whose
# one case (prefix /rule-<i>/) sets a request field. A request outside /rule-*/ fires none of them:
# it measures what evaluating N rules costs.
# BACKLOG (optional): the listener's backlog (listen(2)'s queue); Junction's default when unset.
# OBSERVE (optional): `log` adds a JSON access log to a file (removed on exit), `metrics` the admin API
# (whose metrics count every request), `1` both: what an operator runs in production.
set -euo pipefail
: "${PORT:?set PORT}" "${BACKEND_PORT:?set BACKEND_PORT}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
config="$(mktemp "${TMPDIR:-/tmp}/junction-subject.XXXXXX.yaml")"
access_log="${config%.yaml}.access.log"
trap 'rm -f "$config" "$access_log"' EXIT
cat >"$config" <<YAML
listeners:
  - address: 127.0.0.1
    port: ${PORT}
    max_connections: ${MAX_CONNECTIONS:-100000}
${BACKLOG:+    backlog: ${BACKLOG}}
routes:
  - cluster: backend
clusters:
  backend:
    strategy: ${STRATEGY:-round-robin}
    backends: ["127.0.0.1:${BACKEND_PORT}"]
timeouts:
  shutdown_grace: 2s
YAML
case "${OBSERVE:-}" in
  '') ;;
  log | metrics | 1)
    if [[ "$OBSERVE" != metrics ]]; then printf 'access_log: { path: "%s" }\n' "$access_log" >>"$config"; fi
    if [[ "$OBSERVE" != log ]]; then printf 'admin: { address: 127.0.0.1, port: 0 }\n' >>"$config"; fi
    ;;
  *)
    echo "OBSERVE must be log, metrics or 1, got '$OBSERVE'" >&2
    exit 2
    ;;
esac
if [[ -n "${HOOKS:-}" ]]; then
  printf 'plugins:\n  - { module: "%s", config: { mode: %s } }\n' "$here/plugins/five-hooks.js" "$HOOKS" >>"$config"
fi
if [[ -n "${RULES:-}" ]]; then
  if ! [[ "$RULES" =~ ^[0-9]+$ ]]; then
    echo "RULES must be a whole number, got '$RULES'" >&2
    exit 2
  fi
  if ((RULES > 0)); then
    echo 'rules:' >>"$config"
    for ((i = 1; i <= RULES; i++)); do
      cat >>"$config" <<YAML
  - when: ua-req
    do:
      - with: '{ua-req-path}'
        select:
          - prefix: /rule-${i}/
            do:
              - ua-req-field<X-Rule>: 'rule-${i}'
YAML
    done
  fi
fi
export JUNCTION_LOG_LEVEL="${JUNCTION_LOG_LEVEL:-warn}"
# Not exec: the trap must remove the config file. Forward SIGTERM/SIGINT to Junction and wait.
node ${NODE_OPTIONS_EXTRA:-} "$here/../bin/junction.js" run -c "$config" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"; rm -f "$config" "$access_log"; exit 0' TERM INT
wait "$pid"
