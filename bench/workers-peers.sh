#!/usr/bin/env bash
# Every core, side by side: Junction with `workers: 2` (and 1, for scaling) beside nginx with 2 worker
# processes and HAProxy with 2 threads, unpinned, under the same offered load (wrk, keep-alive), on
# this machine's cores. The backend is one nginx worker serving a fixed 1 KiB body.
#
#   bench/workers-peers.sh [seconds per run] [runs] [connections]      # default 8 3 64
#
# Prints, per subject and run, requests per second and the subject's CPU time per request (user +
# system of its whole process group, from /proc, over the measured window), then the medians. Unpinned
# means the proxy, the backend and wrk share the cores: the figures say what each proxy gets out of a
# small machine, not its cost alone (bench/proxy-subject.sh with compare.sh pins for that).
# Needs: a built dist/, wrk, nginx; haproxy is skipped when absent.
set -euo pipefail
seconds="${1:-8}"
runs="${2:-3}"
conns="${3:-64}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/junction-workers-peers.XXXXXX")"
backend_port=18380
proxy_port=18381
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  sleep 0.5
  rm -rf "$work"
}
trap cleanup EXIT
for tool in wrk nginx; do
  command -v "$tool" >/dev/null || {
    echo "workers-peers: $tool not found (apt-get install $tool)" >&2
    exit 2
  }
done

# The backend: one nginx worker, a fixed 1 KiB body, keep-alive.
head -c 1024 /dev/zero | tr '\0' x >"$work/body"
cat >"$work/backend.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/backend.pid;
error_log $work/backend-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$backend_port; location / { root $work; try_files /body =404; } }
}
EOF
setsid nginx -c "$work/backend.conf" -p "$work" &
pids+=($!)

cat >"$work/nginx.conf" <<EOF
worker_processes 2;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  upstream backend { server 127.0.0.1:$backend_port; keepalive 128; }
  server {
    listen 127.0.0.1:$proxy_port;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
EOF
cat >"$work/haproxy.cfg" <<EOF
global
  nbthread 2
  maxconn 8000
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  http-reuse always
frontend web
  bind 127.0.0.1:$proxy_port
  default_backend app
backend app
  server b1 127.0.0.1:$backend_port
EOF
junction_config() {
  cat <<EOF
workers: $1
listeners: [{ address: 127.0.0.1, port: $proxy_port, max_connections: 100000 }]
routes: [{ cluster: backend }]
clusters:
  backend: { backends: ["127.0.0.1:$backend_port"] }
timeouts: { shutdown_grace: 2s }
EOF
}
junction_config 2 >"$work/junction-2.yaml"
junction_config 1 >"$work/junction-1.yaml"

subjects=(nginx-2-workers)
command -v haproxy >/dev/null && subjects+=(haproxy-2-threads)
subjects+=(junction-2-workers junction-1-worker)

start_subject() {
  case "$1" in
    nginx-2-workers) exec setsid nginx -c "$work/nginx.conf" -p "$work" ;;
    haproxy-2-threads) exec setsid haproxy -db -f "$work/haproxy.cfg" ;;
    junction-2-workers) JUNCTION_LOG_LEVEL=warn exec setsid node "$here/../bin/junction.js" run -c "$work/junction-2.yaml" ;;
    junction-1-worker) JUNCTION_LOG_LEVEL=warn exec setsid node "$here/../bin/junction.js" run -c "$work/junction-1.yaml" ;;
  esac
}

# CPU ticks (user + system) of every process in process group $1.
group_ticks() {
  local total=0 pid fields
  for pid in $(pgrep -g "$1" 2>/dev/null); do
    fields="$(cut -d' ' -f14,15 "/proc/$pid/stat" 2>/dev/null)" || continue
    total=$((total + ${fields% *} + ${fields#* }))
  done
  echo "$total"
}

hz="$(getconf CLK_TCK)"
results="$work/results"
: >"$results"
for ((run = 1; run <= runs; run++)); do
  for subject in "${subjects[@]}"; do
    start_subject "$subject" >"$work/$subject.log" 2>&1 &
    pgid=$!
    for _ in $(seq 100); do
      curl -s -o /dev/null "http://127.0.0.1:$proxy_port/" && break
      sleep 0.1
    done
    wrk -t1 -c"$conns" -d2s "http://127.0.0.1:$proxy_port/" >/dev/null # warm-up
    before="$(group_ticks "$pgid")"
    requests="$(wrk -t1 -c"$conns" -d"${seconds}s" "http://127.0.0.1:$proxy_port/" | awk '/requests in/ {print $1}')"
    after="$(group_ticks "$pgid")"
    kill -TERM -- "-$pgid" 2>/dev/null || true
    wait "$pgid" 2>/dev/null || true
    # The next subject binds the same port: wait until this one has let it go.
    for _ in $(seq 100); do
      curl -s -o /dev/null "http://127.0.0.1:$proxy_port/" || break
      sleep 0.1
    done
    awk -v s="$subject" -v r="$run" -v n="$requests" -v t="$((after - before))" -v hz="$hz" -v d="$seconds" \
      'BEGIN { printf "%s run %d: %.0f req/s, %.1f CPU us/req\n", s, r, n / d, t * 1e6 / hz / n }' | tee -a "$results"
  done
done
echo
echo "medians of $runs runs (${seconds}s, $conns connections, unpinned, $(nproc) cores):"
for subject in "${subjects[@]}"; do
  median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
  rps="$(grep "^$subject run" "$results" | awk '{ print $4 }' | median)"
  cpu="$(grep "^$subject run" "$results" | awk '{ print $6 }' | median)"
  printf '  %-20s %8s req/s  %7s CPU us/req\n' "$subject" "$rps" "$cpu"
done
