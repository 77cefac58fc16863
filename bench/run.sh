#!/bin/sh
# bench/run.sh - "make bench": llmio against its peers and the machine's
# limit, in one run. Starts nginx (generated config, free loopback port) and
# llmio-mock pinned to core 0, then bench/harness.py runs the clients pinned
# to core 1 and prints the table and the "name value unit" lines (also in
# build/bench/results.txt). Stops both servers on exit.
#
#   sh bench/run.sh [--quick] [harness options...]
#     --quick                 1 s timed + 0.5 s warm-up per cell, 1 repeat
#     --clients a,b           only these clients (names: bench/harness.py)
#     --workloads x,y         only these workloads (plus startup, micro)
#     --duration S --warmup S --repeats N
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$ROOT/build/bench
mkdir -p "$OUT"

sh bench/deps.sh --quiet
# libcurl 8.x in build/curl8 for the curl8-multi row (Debian backports).
sh bench/libcurl8.sh >/dev/null || echo "bench: libcurl 8 unavailable; curl8 rows n/a" >&2

# Open enough descriptors for 10,000 streams (client + server).
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
PIN0=""
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then PIN0="taskset -c 0"; fi

NGINX_PID=""; MOCK_PID=""
cleanup() {
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
    [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# nginx, one worker, in the foreground of its own background job.
PORT=$(free_port)
H2PORT=$(free_port)
while [ "$H2PORT" = "$PORT" ]; do H2PORT=$(free_port); done
TLSPORT=$(free_port)
while [ "$TLSPORT" = "$PORT" ] || [ "$TLSPORT" = "$H2PORT" ]; do TLSPORT=$(free_port); done
# TLSPORT: HTTP/2 (or 1.1) over TLS with a throwaway CA in $OUT/nginx/tls.
python3 bench/gen-server.py "$OUT/nginx" "$PORT" "$H2PORT" "$TLSPORT"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
$PIN0 "$NGINX" -p "$OUT/nginx" -c "$OUT/nginx/nginx.conf" 2>"$OUT/nginx/stderr.log" &
NGINX_PID=$!
i=0
until curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -gt 50 ]; then echo "bench: nginx did not start:" >&2; cat "$OUT/nginx/stderr.log" >&2; exit 1; fi
    sleep 0.1
done

# Snapshot the programs under test: others may rebuild build/bin mid-run.
rm -rf "$OUT/bin"; mkdir -p "$OUT/bin"
for f in build/bin/llmio build/bin/llmio-mock build/bin/bench/*; do
    [ -x "$f" ] && cp -p "$f" "$OUT/bin/"
done

# llmio-mock for paced streams, when it is built and works.
MOCK_PORT=0
if [ -x "$OUT/bin/llmio-mock" ]; then
    SCENARIO=$(python3 bench/harness.py --mock-scenario)
    rm -f "$OUT/mock.out"
    $PIN0 "$OUT/bin/llmio-mock" --port 0 --scenario "$SCENARIO" \
        >"$OUT/mock.out" 2>"$OUT/mock.err" &
    MOCK_PID=$!
    i=0
    while [ $i -lt 50 ] && ! [ -s "$OUT/mock.out" ] && kill -0 "$MOCK_PID" 2>/dev/null; do
        sleep 0.1; i=$((i + 1))
    done
    MOCK_PORT=$(head -1 "$OUT/mock.out" 2>/dev/null | tr -dc 0-9)
    [ -n "$MOCK_PORT" ] || { MOCK_PORT=0; echo "bench: llmio-mock not usable; paced streams skipped" >&2; }
fi

QUICK=""
if [ "${1:-}" = "--quick" ]; then
    shift
    QUICK="--duration 1 --warmup 0.5 --repeats 1"
fi
python3 bench/harness.py --nginx-port "$PORT" --nginx-h2-port "$H2PORT" --nginx-tls-port "$TLSPORT" --mock-port "$MOCK_PORT" $QUICK "$@"

# The chart for docs/PERFORMANCE.md (copy it there after a full run).
if command -v gnuplot >/dev/null && [ -s "$OUT/chart.dat" ] && [ "$(wc -l < "$OUT/chart.dat")" -gt 1 ]; then
    gnuplot -e "in='$OUT/chart.dat'; out='$OUT/perf-requests.png'" bench/chart.gnuplot &&
        echo "chart: $OUT/perf-requests.png"
fi
