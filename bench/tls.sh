#!/usr/bin/env bash
# tls.sh - TLS termination cost: Junction beside nginx, both serving the same certificate.
#
# Three scenarios, each run against every subject:
#   handshake    wrk with "Connection: close": a new TLS connection per request. wrk resumes about
#                every other session (TLS 1.3 tickets), so this is a mix of full and resumed
#                handshakes, as a real client population is. Figures: handshakes/s and proxy CPU µs
#                per connection (handshake plus one request).
#   full         `openssl s_time -new`: one connection at a time, every handshake a full one, one
#                `GET /` each. Figures: proxy CPU µs per full handshake (the rate is latency-bound).
#   keepalive    wrk over long-lived TLS connections. Figures: req/s and proxy CPU µs per request.
#
# Method as in the shared runner (../shared/bench/compare.sh): the backend (nginx, plain HTTP, a fixed
# body) and wrk share the load CPU; the subject is pinned alone to the proxy CPU; the primary figure is
# the CPU time of the subject's whole process tree (utime+stime from /proc) during the measured window,
# divided by the requests wrk completed in it. Every process started here is stopped by its PID.
#
# Usage: bench/tls.sh [-d SECONDS] [-c CONNS] [--warmup SECONDS] [--subjects junction,nginx]
#                     [--scenarios handshake,full,keepalive] [--payload BYTES] [--port P] [--backend-port P]
#                     [--load-cpu N] [--proxy-cpu N] [-o results.jsonl]
# Needs: wrk, nginx, openssl, curl, taskset, setsid, node, and a built dist/ (this script builds it).
# Debian: apt-get install -y wrk nginx curl util-linux openssl
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DURATION=10
CONNS=64
WARMUP=2
SUBJECTS="junction,nginx"
SCENARIOS="handshake,full,keepalive"
PAYLOAD=1024
PORT=18443
BACKEND_PORT=18080
LOAD_CPU=0
PROXY_CPU=1
OUT=""

die() { echo "tls.sh: error: $*" >&2; exit 1; }
log() { echo "tls.sh: $*" >&2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    -d) DURATION="${2:?}"; shift 2 ;;
    -c) CONNS="${2:?}"; shift 2 ;;
    --warmup) WARMUP="${2:?}"; shift 2 ;;
    --subjects) SUBJECTS="${2:?}"; shift 2 ;;
    --scenarios) SCENARIOS="${2:?}"; shift 2 ;;
    --payload) PAYLOAD="${2:?}"; shift 2 ;;
    --port) PORT="${2:?}"; shift 2 ;;
    --backend-port) BACKEND_PORT="${2:?}"; shift 2 ;;
    --load-cpu) LOAD_CPU="${2:?}"; shift 2 ;;
    --proxy-cpu) PROXY_CPU="${2:?}"; shift 2 ;;
    -o) OUT="${2:?}"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
for v in DURATION CONNS WARMUP PAYLOAD PORT BACKEND_PORT LOAD_CPU PROXY_CPU; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a whole number, got '${!v}'"
done
(( DURATION > 0 && CONNS > 0 )) || die "-d and -c must be > 0"
missing=()
for b in wrk nginx openssl curl taskset setsid node awk; do command -v "$b" >/dev/null 2>&1 || missing+=("$b"); done
(( ${#missing[@]} == 0 )) || die "missing programs: ${missing[*]} (Debian: apt-get install -y wrk nginx curl util-linux openssl)"
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_busy "$PORT" && die "something already listens on 127.0.0.1:$PORT (use --port)"
port_busy "$BACKEND_PORT" && die "something already listens on 127.0.0.1:$BACKEND_PORT (use --backend-port)"
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true

CLK_TCK="$(getconf CLK_TCK)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/tls-bench.XXXXXX")" || die "mktemp failed"
chmod 755 "$WORK"
BACKEND_PID=""
SUBJ_PID=""

# The CPU ticks (utime+stime+cutime+cstime) of PID and all its descendants.
tree_ticks() {
  local root="$1"
  [[ -n "$root" && -d "/proc/$root" ]] || { echo 0; return; }
  cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$root" '
    { s = $0; pid = $1; sub(/^[^(]*\(.*\) /, "", s); split(s, f, " "); ppid[pid] = f[2]; t[pid] = f[12] + f[13] + f[14] + f[15] }
    END {
      mark[root] = 1; changed = 1
      while (changed) { changed = 0; for (p in ppid) if (!(p in mark) && (ppid[p] in mark)) { mark[p] = 1; changed = 1 } }
      sum = 0; for (p in mark) if (p in t) sum += t[p]
      printf "%.0f\n", sum
    }'
}
# Stops a process started with setsid: its process group, TERM then KILL.
stop_group() {
  local pid="$1" i
  [[ -n "$pid" ]] || return 0
  kill -TERM -- "-$pid" 2>/dev/null
  for (( i = 0; i < 50; i++ )); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_group "$SUBJ_PID"
  stop_group "$BACKEND_PID"
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

start_pinned() { # cpu logfile command... -> STARTED_PID
  local cpu="$1" logf="$2"; shift 2
  setsid taskset -c "$cpu" "$@" >"$logf" 2>&1 </dev/null &
  STARTED_PID=$!
}
wait_ok() { # url pid
  local i out
  for (( i = 0; i < 100; i++ )); do
    kill -0 "$2" 2>/dev/null || return 2
    out="$(curl -sk -o /dev/null -w '%{http_code} %{size_download}' --max-time 1 "$1" 2>/dev/null)"
    [[ "$out" == "200 $PAYLOAD" ]] && return 0
    sleep 0.1
  done
  echo "last answer from $1: '${out:-none}'" >&2
  return 1
}

# One certificate for every subject: EC P-256, as most sites serve today.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -keyout "$WORK/bench.key" -out "$WORK/bench.pem" -subj /CN=bench.test \
  -addext 'subjectAltName=DNS:bench.test,IP:127.0.0.1' 2>/dev/null || die "openssl could not make the certificate"
chmod 644 "$WORK/bench.key" "$WORK/bench.pem"

nginx_head() { # dir
  mkdir -p "$1/tmp"
  cat <<EOF
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 16384; }
EOF
}
nginx_temp_paths() { # dir
  cat <<EOF
    client_body_temp_path $1/tmp/body;
    proxy_temp_path $1/tmp/proxy;
    fastcgi_temp_path $1/tmp/fastcgi;
    uwsgi_temp_path $1/tmp/uwsgi;
    scgi_temp_path $1/tmp/scgi;
EOF
}

# Backend: plain HTTP, a fixed body, keep-alive (the shared runner's backend).
mkdir -p "$WORK/backend/www"
head -c "$PAYLOAD" /dev/zero | tr '\0' 'x' >"$WORK/backend/www/payload.bin"
chmod -R 755 "$WORK/backend"
{ nginx_head "$WORK/backend"; cat <<EOF
http {
    access_log off;
$(nginx_temp_paths "$WORK/backend")
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 75s;
    keepalive_requests 100000000;
    server {
        listen 127.0.0.1:$BACKEND_PORT backlog=4096;
        root $WORK/backend/www;
        location / { try_files /payload.bin =404; }
    }
}
EOF
} >"$WORK/backend/nginx.conf"
start_pinned "$LOAD_CPU" "$WORK/backend/out.log" nginx -p "$WORK/backend" -c "$WORK/backend/nginx.conf" -e "$WORK/backend/error.log" -g 'daemon off;'
BACKEND_PID="$STARTED_PID"
wait_ok "http://127.0.0.1:$BACKEND_PORT/" "$BACKEND_PID" || die "the backend did not start"

start_subject() { # name
  local d="$WORK/subj-$1"
  mkdir -p "$d"; chmod 755 "$d"
  case "$1" in
    junction)
      cat >"$d/junction.yaml" <<EOF
listeners:
  - address: 127.0.0.1
    port: $PORT
    max_connections: 100000
    tls:
      certificates: [{ cert_file: $WORK/bench.pem, key_file: $WORK/bench.key }]
routes: [{ cluster: backend }]
clusters:
  backend: { backends: ["127.0.0.1:$BACKEND_PORT"] }
timeouts: { shutdown_grace: 1s }
EOF
      JUNCTION_LOG_LEVEL=warn start_pinned "$PROXY_CPU" "$d/out.log" node "$ROOT/bin/junction.js" run -c "$d/junction.yaml" ;;
    nginx)
      { nginx_head "$d"; cat <<EOF
http {
    access_log off;
$(nginx_temp_paths "$d")
    keepalive_timeout 75s;
    keepalive_requests 100000000;
    upstream backend {
        server 127.0.0.1:$BACKEND_PORT;
        keepalive 8192;
        keepalive_requests 100000000;
    }
    server {
        listen 127.0.0.1:$PORT ssl backlog=4096;
        ssl_certificate $WORK/bench.pem;
        ssl_certificate_key $WORK/bench.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        # Junction's default ciphers and order, so both negotiate the same suite.
        ssl_prefer_server_ciphers on;
        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
        ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
      } >"$d/nginx.conf"
      start_pinned "$PROXY_CPU" "$d/out.log" nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" -g 'daemon off;' ;;
    *) die "unknown subject '$1' (junction, nginx)" ;;
  esac
  SUBJ_PID="$STARTED_PID"
  if ! wait_ok "https://127.0.0.1:$PORT/" "$SUBJ_PID"; then
    tail -n 20 "$d/out.log" "$d/error.log" >&2 2>/dev/null
    die "subject '$1' did not answer over HTTPS"
  fi
  log "$1 negotiates $(openssl s_client -connect "127.0.0.1:$PORT" </dev/null 2>/dev/null | awk '/^New, / {print $2, $NF}')"
}

[[ -n "$OUT" ]] && : >"$OUT"
(cd "$ROOT" && npm run build --silent) || die "the build failed"
log "nginx=$(nginx -v 2>&1 | sed -n 's#.*nginx/\([^ ]*\).*#\1#p') node=$(node --version) wrk=$(wrk -v 2>&1 | awk 'NR==1 {print $2}') c=$CONNS d=${DURATION}s payload=${PAYLOAD}B load-cpu=$LOAD_CPU proxy-cpu=$PROXY_CPU"
printf '%-9s %-10s %12s %14s %10s %8s\n' subject scenario 'req/s' 'cpu_us/req' 'proxy_cpu%' errors
IFS=',' read -r -a subject_list <<<"$SUBJECTS"
IFS=',' read -r -a scenario_list <<<"$SCENARIOS"
for subject in "${subject_list[@]}"; do
  start_subject "$subject"
  for scenario in "${scenario_list[@]}"; do
    args=(-t 1 -c "$CONNS" --timeout 10s)
    case "$scenario" in
      handshake) args+=(-H 'Connection: close') ;;
      keepalive|full) ;;
      *) die "unknown scenario '$scenario' (handshake, full, keepalive)" ;;
    esac
    url="https://127.0.0.1:$PORT/"
    if [[ "$scenario" == full ]]; then
      s_time=(openssl s_time -connect "127.0.0.1:$PORT" -new -www /)
      (( WARMUP > 0 )) && taskset -c "$LOAD_CPU" "${s_time[@]}" -time "$WARMUP" >/dev/null 2>&1
      before="$(tree_ticks "$SUBJ_PID")"
      started="$(date +%s.%N)"
      report="$(taskset -c "$LOAD_CPU" "${s_time[@]}" -time "$DURATION" 2>&1)"
      ended="$(date +%s.%N)"
      after="$(tree_ticks "$SUBJ_PID")"
      requests="$(awk '/connections in .* real seconds/ {print $1}' <<<"$report")"
      errors=0
    else
      (( WARMUP > 0 )) && taskset -c "$LOAD_CPU" wrk "${args[@]}" -d "${WARMUP}s" "$url" >/dev/null 2>&1
      before="$(tree_ticks "$SUBJ_PID")"
      started="$(date +%s.%N)"
      report="$(taskset -c "$LOAD_CPU" wrk "${args[@]}" -d "${DURATION}s" "$url" 2>&1)"
      ended="$(date +%s.%N)"
      after="$(tree_ticks "$SUBJ_PID")"
      requests="$(awk '/requests in/ {print $1}' <<<"$report")"
      errors="$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10} /Non-2xx/ {print $NF}' <<<"$report" | awk '{s += $1} END {print s + 0}')"
    fi
    [[ "$requests" =~ ^[0-9]+$ && "$requests" -gt 0 ]] || { echo "$report" >&2; die "no request completed ($subject, $scenario)"; }
    read -r rps cpu_us cpu_pct < <(awk -v r="$requests" -v b="$before" -v a="$after" -v hz="$CLK_TCK" -v s="$started" -v e="$ended" \
      'BEGIN { w = e - s; cpu = (a - b) / hz; printf "%.0f %.1f %.0f\n", r / w, cpu * 1e6 / r, 100 * cpu / w }')
    printf '%-9s %-10s %12s %14s %10s %8s\n' "$subject" "$scenario" "$rps" "$cpu_us" "$cpu_pct" "$errors"
    [[ -n "$OUT" ]] && printf '{"subject":"%s","scenario":"%s","conns":%d,"duration_s":%d,"requests":%d,"req_per_s":%s,"cpu_us_per_req":%s,"proxy_cpu_pct":%s,"errors":%d}\n' \
      "$subject" "$scenario" "$CONNS" "$DURATION" "$requests" "$rps" "$cpu_us" "$cpu_pct" "$errors" >>"$OUT"
  done
  stop_group "$SUBJ_PID"
  SUBJ_PID=""
  for (( i = 0; i < 100; i++ )); do port_busy "$PORT" || break; sleep 0.1; done
done
