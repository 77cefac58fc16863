#!/bin/sh
# mock-wrk.sh - how fast llmio-mock serves small non-streaming chat
# completions with keep-alive: wrk on core 1 against the mock on core 0,
# three runs, median reported. Besides wrk's requests/s it reads the mock's
# own CPU time from /proc, so "CPU us per request" is the mock's cost even
# when wrk (or a busy machine) is the bottleneck.
#
# Usage: sh bench/mock-wrk.sh [CONNECTIONS] [SECONDS]
# Prints stable lines: mock_wrk_c64_rps N req/s, mock_cpu_us_per_req N us.
set -eu
cd "$(dirname "$0")/.."
conns=${1:-64}
secs=${2:-3}
[ -x build/bin/llmio-mock ] || make -j2 build/bin/llmio-mock >/dev/null
out=$(mktemp)
taskset -c 0 build/bin/llmio-mock --port 0 --quiet > "$out" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out"' EXIT
while [ ! -s "$out" ]; do sleep 0.05; done
port=$(head -1 "$out")
url="http://127.0.0.1:$port/v1/chat/completions"
taskset -c 1 wrk -t1 -c"$conns" -d1s -s bench/wrk/chat-post.lua "$url" >/dev/null
rps_list=""
cpu_list=""
for i in 1 2 3; do
    t0=$(awk '{print $14 + $15}' /proc/$pid/stat)
    rps=$(taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" -s bench/wrk/chat-post.lua "$url" |
        awk '/Requests\/sec/ {print $2}')
    t1=$(awk '{print $14 + $15}' /proc/$pid/stat)
    hz=$(getconf CLK_TCK)
    us=$(awk -v d=$((t1 - t0)) -v r="$rps" -v s="$secs" -v hz="$hz" \
        'BEGIN {printf "%.1f", d * 1000000 / hz / (r * s)}')
    echo "run $i: $rps req/s, mock CPU $us us/req"
    rps_list="$rps_list $rps"
    cpu_list="$cpu_list $us"
done
med() { printf '%s\n' $1 | sort -n | sed -n 2p; }
echo "mock_wrk_c${conns}_rps $(med "$rps_list") req/s"
echo "mock_cpu_us_per_req $(med "$cpu_list") us"
