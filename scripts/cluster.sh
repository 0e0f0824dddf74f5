#!/usr/bin/env bash
# The cluster layout on one machine: a Ray head bound to 127.0.0.1, two Streamlit replicas on
# 127.0.0.1:8601 and :8602 that share its registry (RESIDUAL_LAB_ENGINE=ray), and Debian's nginx in
# front on port 8080 (RESIDUAL_LAB_PORT), the only port open beyond this machine. Runs until Ctrl-C,
# then stops all of it. `scripts/cluster.sh --config DIR` only writes nginx's configuration to DIR.
#
# Sticky sessions: nginx hashes the browser's voter cookie (server/classroom.py sets it with the first
# page), so a browser's websocket, uploads and media stay on one replica; a replica that is down is
# skipped (its students reconnect to the other one, where their runs still are).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PORT=${RESIDUAL_LAB_PORT:-8080}
RAY_PORT=${RESIDUAL_LAB_RAY_PORT:-6380}
REPLICAS=(8601 8602)
STATE=${RESIDUAL_LAB_STATE:-$ROOT/.cluster}

nginx_conf() {  # $1: the folder for the configuration, its pid file and temp files
  local dir=$1
  mkdir -p "$dir"
  {
    echo "worker_processes 1;"
    echo "pid $dir/nginx.pid;"
    echo "error_log $dir/nginx-error.log warn;"
    echo "events { worker_connections 4096; }"
    echo "http {"
    echo "  access_log off;"
    for t in client_body proxy fastcgi uwsgi scgi; do echo "  ${t}_temp_path $dir/$t;"; done
    echo "  map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }"
    echo "  upstream residual_lab {"
    echo "    hash \$cookie_residual_lab_voter consistent;"
    for p in "${REPLICAS[@]}"; do echo "    server 127.0.0.1:$p max_fails=1 fail_timeout=10s;"; done
    echo "  }"
    echo "  server {"
    echo "    listen $PORT;"
    echo "    client_max_body_size 16m;"
    echo "    location / {"
    echo "      proxy_pass http://residual_lab;"
    echo "      proxy_http_version 1.1;"
    echo "      proxy_set_header Upgrade \$http_upgrade;"
    echo "      proxy_set_header Connection \$connection_upgrade;"
    echo "      proxy_set_header Host \$host;"
    echo "      proxy_read_timeout 1d;"
    echo "      proxy_buffering off;"
    echo "    }"
    echo "  }"
    echo "}"
  } > "$dir/nginx.conf"
}

if [ "${1:-}" = "--config" ]; then
  nginx_conf "$2"
  exit 0
fi

./scripts/setup.sh requirements-cluster.txt
if ! command -v nginx >/dev/null 2>&1; then
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq && $sudo_ apt-get install -y -qq nginx >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

mkdir -p "$STATE"
token() { .venv/bin/python -c "import secrets; print(secrets.token_hex(32))"; }
# Ray on the loopback address only (without "cluster mode" Ray binds 127.0.0.1 instead of swapping it
# for the machine's address), with Ray's token authentication: a token of this run, kept in $STATE.
export RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 RAY_USAGE_STATS_ENABLED=0 RAY_AUTH_MODE=token
export RAY_AUTH_TOKEN=${RAY_AUTH_TOKEN:-$(token)}
export RESIDUAL_LAB_PRESENTER_KEY=${RESIDUAL_LAB_PRESENTER_KEY:-$(token | cut -c1-24)}
umask 077; echo "$RAY_AUTH_TOKEN" > "$STATE/ray-token"; umask 022

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$STATE/nginx/nginx.pid" ] && "$NGINX" -c "$STATE/nginx/nginx.conf" -s stop 2>/dev/null || true
  .venv/bin/ray stop >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

# Pages first, training close behind, where the replicas share a machine with the training. Ray starts
# its workers at nice 15 (RAY_worker_niceness); with the replicas at 10 instead, below the workers, a page
# took 60 s to load while a queue of runs drained. Measured with bench/cluster_load.py's class of 100
# pressing the Lab's pair (one run each setting, 2 cores), first point p95 / completion / page load p95
# while 100 distinct runs queue: nice 15: 1.7 s / 2.6x / 0.9 s; nice 5: 2.4 s / 2.2x / 0.45 s;
# nice 0: 3.0 s / 2.1x / 2.0 s; and the workers at 0 with the replicas at nice 3 (two runs): 3.4 s /
# 1.66-1.9x / 31 s. On a node of its own the workers' niceness changes nothing.
export RAY_worker_niceness=${RAY_worker_niceness:-5}
# Every core for the cluster (not `nproc`: it answers OMP_NUM_THREADS, 1 under the benches).
.venv/bin/ray start --head --node-ip-address=127.0.0.1 --port="$RAY_PORT" --num-cpus="$(getconf _NPROCESSORS_ONLN)" \
  --include-dashboard=false --disable-usage-stats --temp-dir="$STATE/ray" >"$STATE/ray-start.log" 2>&1
export RAY_ADDRESS=127.0.0.1:$RAY_PORT RESIDUAL_LAB_ENGINE=ray
for p in "${REPLICAS[@]}"; do
  .venv/bin/streamlit run serve.py --server.headless true --server.address 127.0.0.1 --server.port "$p" \
    --browser.gatherUsageStats false >"$STATE/replica-$p.log" 2>&1 &
  pids+=($!)
done
# nginx only once both replicas answer: a replica it finds down is skipped for 10 s, and the browsers
# that arrive meanwhile all stay on the other one (bench/cluster_load.py saw 198 of 200 connections there).
for p in "${REPLICAS[@]}"; do
  for _ in $(seq 120); do
    .venv/bin/python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$p/_stcore/health', timeout=2)" 2>/dev/null && break
    sleep 1
  done
done
nginx_conf "$STATE/nginx"
"$NGINX" -c "$STATE/nginx/nginx.conf" -g "daemon on;"
echo "Residual Lab on http://localhost:$PORT (2 replicas, Ray at $RAY_ADDRESS; logs in $STATE)"
echo "Presenter link (keep it private): http://localhost:$PORT/presenter?key=$RESIDUAL_LAB_PRESENTER_KEY"
wait || true  # one replica down: the other serves on (nginx skips it); Ctrl-C stops everything
