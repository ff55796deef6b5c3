#!/usr/bin/env bash
# Cache hits and proxied misses, Junction's memory cache beside nginx's proxy_cache (on tmpfs), both in
# front of the same backend, one process each (nginx: one worker), keep-alive, 100 URLs.
# Usage: bench/cache/run.sh [seconds] [connections]      (builds nothing: run `npx tsc -p tsconfig.build.json` first)
# Prints, per subject and kind: requests/s and the proxy's CPU time per request (µs, utime+stime from
# /proc/PID/stat over the run, every nginx process summed). Short runs: the machine may be shared.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${1:-5}"
connections="${2:-64}"
work="$(mktemp -d /dev/shm/junction-cache-bench.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { node "$root/bench/support/processes.js"; }
backend_port="$(free_port)"; junction_port="$(free_port)"; nginx_port="$(free_port)"
node "$root/bench/cache/backend.js" "$backend_port" >/dev/null & pids+=($!)

cat >"$work/junction.yaml" <<YAML
listeners: [{ address: 127.0.0.1, port: $junction_port }]
access_log: false
cache: { memory_size: 64MiB }
routes: [{ cluster: app, cache: true }]
clusters:
  app: { backends: ["127.0.0.1:$backend_port"] }
YAML
JUNCTION_LOG_LEVEL=warn node "$root/bin/junction.js" run -c "$work/junction.yaml" >/dev/null 2>&1 & pids+=($!)
junction_pid=$!

mkdir -p "$work/nginx/cache"
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
user root;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  proxy_cache_path $work/nginx/cache levels=1:2 keys_zone=bench:16m max_size=64m inactive=10m use_temp_path=off;
  upstream app { server 127.0.0.1:$backend_port; keepalive 64; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache bench;
      add_header Cache-Status \$upstream_cache_status;
    }
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work" -g 'daemon off;' & pids+=($!)

for port in "$junction_port" "$nginx_port"; do
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/hit/0" && break; sleep 0.1; done
done

ticks() { # utime+stime of the given pids, in clock ticks
  local total=0
  for p in "$@"; do total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
  echo "$total"
}
hz="$(getconf CLK_TCK)"

run() { # subject port kind pids...
  local subject=$1 port=$2 kind=$3; shift 3
  # Warm: every URL once (hits are then all hits), then 2 s of load (Node's JIT, the pools).
  for i in $(seq 0 99); do curl -s -o /dev/null "http://127.0.0.1:$port/$kind/$i"; done
  wrk -t1 -c"$connections" -d2s -s "$root/bench/cache/paths.lua" "http://127.0.0.1:$port" -- "/$kind/" >/dev/null
  local before; before="$(ticks "$@")"
  local out; out="$(wrk -t1 -c"$connections" -d"${seconds}s" -s "$root/bench/cache/paths.lua" "http://127.0.0.1:$port" -- "/$kind/")"
  local after; after="$(ticks "$@")"
  local requests; requests="$(awk '/requests in/ {print $1}' <<<"$out")"
  local rps; rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  local us; us="$(awk -v t=$((after - before)) -v hz="$hz" -v n="$requests" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')"
  printf '%-8s %-4s %10s req/s %8s µs CPU/request\n' "$subject" "$kind" "$rps" "$us"
}

nginx_pids() { pgrep -P "$(cat "$work/nginx.pid")"; cat "$work/nginx.pid"; }
for kind in hit miss; do
  run junction "$junction_port" "$kind" "$junction_pid"
  # shellcheck disable=SC2046
  run nginx "$nginx_port" "$kind" $(nginx_pids)
done
# What each subject says of a hit (a check that both really cache).
curl -s -D - -o /dev/null "http://127.0.0.1:$junction_port/hit/1" | grep -i '^cache-status'
curl -s -D - -o /dev/null "http://127.0.0.1:$nginx_port/hit/1" | grep -i '^cache-status'
