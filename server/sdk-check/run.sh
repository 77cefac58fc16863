#!/bin/sh
# Checks that the official OpenAI and Anthropic Node SDKs accept
# llmio-mock's replies (chat/messages, stream and non-stream, tools,
# errors). Not part of "make test": it needs npm and network access once.
#
#   sh server/sdk-check/run.sh
#
# Installs the SDKs into build/sdk-check (ignored by git), starts
# build/bin/llmio-mock on a free port, runs check.mjs, stops the mock.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
dir="$root/build/sdk-check"
mkdir -p "$dir"
if [ ! -d "$dir/node_modules/openai" ] || [ ! -d "$dir/node_modules/@anthropic-ai/sdk" ]; then
    (cd "$dir" && [ -f package.json ] || echo '{"private":true,"type":"module"}' > package.json
     cd "$dir" && npm install --silent --no-audit --no-fund openai @anthropic-ai/sdk >/dev/null)
fi
cp "$root/server/sdk-check/check.mjs" "$dir/check.mjs"
[ -x "$root/build/bin/llmio-mock" ] || make -C "$root" build/bin/llmio-mock >/dev/null
fifo="$dir/port"
rm -f "$fifo"
"$root/build/bin/llmio-mock" --port 0 --quiet --log "$dir/mock.log" > "$fifo" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT INT TERM
i=0
while [ ! -s "$fifo" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
port=$(head -1 "$fifo")
echo "llmio-mock on port $port"
(cd "$dir" && node check.mjs "http://127.0.0.1:$port")
