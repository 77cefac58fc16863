#!/bin/sh
# demo.sh - the main job of llmio, end to end, behind "make demo".
#
# Starts build/bin/llmio-mock (the fake provider server) on a free port of
# 127.0.0.1 and runs the llmio CLI and the example programs against it: one
# call, a stream, a two-turn chat that keeps its history, a batch of
# concurrent requests with timing, a JSONL batch
# through injected faults under a rate limit, a fallback to another
# provider, typed errors, and a tool call. Every step's output is shown and
# checked; the script exits 0 only if every step behaved. Nothing leaves 127.0.0.1.
#
# Usage: sh scripts/demo.sh          (after "make all"; "make demo" does both)
# Env:   DEMO_BATCH=N  size of the concurrent batch (default 200)
set -u
cd "$(dirname "$0")/.."

BIN=${BUILD:-build}/bin
BATCH=${DEMO_BATCH:-200}
MODEL=openai/gpt-4o-mini
tmp=$(mktemp -d "${TMPDIR:-/tmp}/llmio-demo.XXXXXX")
mock_pid=
failures=0
steps=0

cleanup() {
    if [ -n "$mock_pid" ]; then
        kill "$mock_pid" 2>/dev/null
        wait "$mock_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

if [ -t 1 ]; then
    B=$(printf '\033[1m') G=$(printf '\033[32m') R=$(printf '\033[31m')
    D=$(printf '\033[2m') N=$(printf '\033[0m')
else
    B= G= R= D= N=
fi

for f in "$BIN/llmio" "$BIN/llmio-mock" "$BIN/examples/batch" \
    "$BIN/examples/gather_errors" "$BIN/examples/tools"; do
    if [ ! -x "$f" ]; then
        echo "demo: $f is missing; run 'make demo' (it builds first)" >&2
        exit 1
    fi
done

# Loopback only: a proxy from the environment must not see these requests.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

"$BIN/llmio-mock" --port 0 >"$tmp/mock.out" 2>"$tmp/mock.err" &
mock_pid=$!
port=
i=0
while [ $i -lt 100 ]; do
    port=$(head -n 1 "$tmp/mock.out" 2>/dev/null | tr -dc '0-9')
    [ -n "$port" ] && break
    if ! kill -0 "$mock_pid" 2>/dev/null; then
        break
    fi
    sleep 0.1
    i=$((i + 1))
done
if [ -z "$port" ]; then
    echo "demo: llmio-mock did not start:" >&2
    cat "$tmp/mock.err" >&2
    exit 1
fi

URL=http://127.0.0.1:$port/v1
export OPENAI_BASE_URL=$URL
# The mock accepts any key not starting with "bad"; it is never printed.
export OPENAI_API_KEY=sk-demo-local-only
export ANTHROPIC_BASE_URL=http://127.0.0.1:$port
export ANTHROPIC_API_KEY=sk-ant-demo-local-only

now_ms() {
    date +%s%3N
}

# step TITLE: prints a heading.
step() {
    steps=$((steps + 1))
    printf '\n%s%d. %s%s\n' "$B" "$steps" "$1" "$N"
}

# show CMD...: prints the command as a user would type it: binaries by
# their short name, arguments with spaces or shell characters quoted.
show() {
    line=
    for a in "$@"; do
        case $a in
        "$BIN"/*) a=${a#"$BIN"/} ;;
        esac
        case $a in
        *[!A-Za-z0-9_./:=,+-]*) a="'$a'" ;;
        esac
        line="$line${line:+ }$a"
    done
    printf '%s$ %s%s\n' "$D" "$line" "$N"
}

# verdict OK|FAIL WHY
verdict() {
    if [ "$1" = OK ]; then
        printf '%s   ok%s %s\n' "$G" "$N" "$2"
    else
        printf '%s   FAILED%s %s\n' "$R" "$N" "$2"
        failures=$((failures + 1))
    fi
}

# run CMD...: runs CMD, stdout to the terminal and $tmp/out, stderr to
# $tmp/err (shown too); sets rc.
run() {
    show "$@"
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    sed 's/^/   /' "$tmp/out"
    if [ -s "$tmp/err" ]; then
        sed "s/^/   ${D}stderr:${N} /" "$tmp/err"
    fi
}

printf '%sllmio demo%s: llmio-mock is serving %s (pid %s)\n' "$B" "$N" \
    "$URL" "$mock_pid"
echo "The CLI and the examples use only include/llmio.h, as any program would."
echo "The mock answers by echoing the last user message unless a scenario"
echo "header (X-Mock-Scenario) scripts something else: pacing, faults, tools."

step "One call (llmio run)"
run "$BIN/llmio" run -m "$MODEL" "Hello from llmio!"
if [ $rc -eq 0 ] && [ -s "$tmp/out" ]; then
    verdict OK "exit 0, the reply on stdout"
else
    verdict FAIL "exit $rc"
fi

step "A stream, printed as it arrives (--stream, 40 tokens at 80/s)"
show "$BIN/llmio" run --stream -m "$MODEL" \
    -H 'X-Mock-Scenario: lorem=40;tps=80' "Tell me a story"
printf '   '
t0=$(now_ms)
{
    "$BIN/llmio" run --stream -m "$MODEL" \
        -H 'X-Mock-Scenario: lorem=40;tps=80' "Tell me a story" 2>"$tmp/err"
    echo $? >"$tmp/rc"
} | tee "$tmp/out"
rc=$(cat "$tmp/rc")
t1=$(now_ms)
words=$(wc -w <"$tmp/out")
if [ $rc -eq 0 ] && [ "$words" -eq 40 ]; then
    verdict OK "40 words streamed in $((t1 - t0)) ms"
else
    verdict FAIL "exit $rc, $words words"
    cat "$tmp/err"
fi

step "A conversation that keeps its history (llmio chat, turns piped in)"
printf '%s$ printf '\''My name is Ada.\\nWhat is my name?\\n/save chat.json\\n'\'' | llmio chat -m %s --system '\''Be brief.'\''%s\n' \
    "$D" "$MODEL" "$N"
printf 'My name is Ada.\nWhat is my name?\n/save %s\n' "$tmp/chat.json" |
    "$BIN/llmio" chat -m "$MODEL" --system "Be brief." >"$tmp/out" 2>"$tmp/err"
rc=$?
sed 's/^/   /' "$tmp/out"
sed "s/^/   ${D}stderr:${N} /" "$tmp/err"
roles=$(grep -o '"role":"[a-z]*"' "$tmp/chat.json" 2>/dev/null | tr -d '\n')
if [ $rc -eq 0 ] && [ "$(wc -l <"$tmp/out")" -eq 2 ] &&
    [ "$roles" = '"role":"system""role":"user""role":"assistant""role":"user""role":"assistant"' ]; then
    verdict OK "two turns streamed; the second was sent with the whole history (system, user, assistant, user)"
else
    verdict FAIL "exit $rc, saved roles: $roles"
fi

step "$BATCH concurrent requests on one thread (examples/batch.c)"
t0=$(now_ms)
run "$BIN/examples/batch" "$URL" "$BATCH"
t1=$(now_ms)
if [ $rc -eq 0 ] && grep -q "^$BATCH requests: $BATCH ok$" "$tmp/out"; then
    verdict OK "all $BATCH completed exactly once, $((t1 - t0)) ms wall time (process included)"
else
    verdict FAIL "exit $rc"
fi

step "A JSONL batch through faults, under a rate limit (llmio batch)"
# 60 requests; every 5th fails once first (503, 429 with retry-after-ms,
# or a reset before any byte), keyed per line, so a retry succeeds.
i=0
: >"$tmp/batch.jsonl"
while [ $i -lt 60 ]; do
    case $((i % 15)) in
    0) m="$MODEL@fail-first=1;status=503;key=demo$i" ;;
    5) m="$MODEL@fail-first=1;status=429;retry-after-ms=200;key=demo$i" ;;
    10) m="$MODEL@fail-first=1;reset=1;key=demo$i" ;;
    *) m="$MODEL" ;;
    esac
    printf '{"model":"%s","messages":[{"role":"user","content":"item %d"}]}\n' \
        "$m" $i >>"$tmp/batch.jsonl"
    i=$((i + 1))
done
show "$BIN/llmio" batch -c 16 --rpm 600 batch.jsonl
t0=$(now_ms)
"$BIN/llmio" batch -c 16 --rpm 600 "$tmp/batch.jsonl" >"$tmp/out" 2>"$tmp/err"
rc=$?
t1=$(now_ms)
head -2 "$tmp/out" | cut -c1-150 | sed 's/$/ .../; s/^/   /'
ok=$(grep -c '"status":"OK"' "$tmp/out")
inorder=$(grep -o '^{"index":[0-9]*' "$tmp/out" | cut -d: -f2 | tr '\n' ' ')
want=$(seq 0 59 | tr '\n' ' ')
if [ $rc -eq 0 ] && [ "$ok" -eq 60 ] && [ "$inorder" = "$want" ]; then
    verdict OK "60 results in input order, 12 injected faults retried to success, $((t1 - t0)) ms (600 RPM: a burst of 60)"
else
    verdict FAIL "exit $rc, $ok ok"
    cat "$tmp/err"
fi

step "Fallback to another provider (llmio run --fallback)"
run "$BIN/llmio" run -m "$MODEL@status=503" \
    --fallback "anthropic/claude-sonnet-4-5" "Hello from a fallback"
if [ $rc -eq 0 ] && grep -q 'anthropic/claude-sonnet-4-5' "$tmp/err"; then
    verdict OK "openai answered 503 three times (retried with backoff); anthropic served the reply"
else
    verdict FAIL "exit $rc"
fi

step "Gather with per-request errors kept (examples/gather_errors.c)"
run "$BIN/examples/gather_errors" "$URL"
if [ $rc -eq 0 ] && grep -q '^task 1 failed: E_BAD_REQUEST (http 400)' "$tmp/out" &&
    grep -q '^task 3 failed: E_AUTH (http 401)' "$tmp/out" &&
    grep -q '^2 of 5 failed$' "$tmp/out"; then
    verdict OK "3 answers and 2 typed errors, in input order"
else
    verdict FAIL "exit $rc"
fi

step "Typed errors and exit codes from the CLI"
OPENAI_API_KEY=bad-key run "$BIN/llmio" run -m "$MODEL" "hello"
if [ $rc -eq 20 ] && grep -q '^llmio: E_AUTH: .*(http 401' "$tmp/err" &&
    ! grep -q 'bad-key' "$tmp/err"; then
    verdict OK "a rejected key: E_AUTH, exit 20, and the key is not printed"
else
    verdict FAIL "exit $rc"
fi
run "$BIN/llmio" run -m "$MODEL" --stream --timeout 1 \
    -H 'X-Mock-Scenario: lorem=50;stall-after-events=5' "Tell me a story"
if [ $rc -eq 13 ] && grep -q '^llmio: E_TIMEOUT: ' "$tmp/err"; then
    verdict OK "a stalled stream: E_TIMEOUT after 1 s, exit 13, no hang"
else
    verdict FAIL "exit $rc"
fi
run "$BIN/llmio" run -m "$MODEL" --base-url "http://127.0.0.1:1/v1" "hello"
if [ $rc -eq 10 ] && grep -q '^llmio: E_CONNECT: ' "$tmp/err"; then
    verdict OK "nobody listening: E_CONNECT, exit 10"
else
    verdict FAIL "exit $rc"
fi

step "A tool call (llmio run, then examples/tools.c for the round trip)"
run "$BIN/llmio" run -m "$MODEL" \
    -H 'X-Mock-Scenario: tool=get_weather:{"location":"Paris"}' \
    "What is the weather in Paris?"
if [ $rc -eq 0 ] && grep -q '^\[tool call .*\] get_weather({"location":"Paris"})$' "$tmp/out"; then
    verdict OK "the model's tool call, printed readably"
else
    verdict FAIL "exit $rc"
fi
run "$BIN/examples/tools" "$URL"
if [ $rc -eq 0 ] && grep -q '^finish: tool_calls, 1 tool call(s)$' "$tmp/out" &&
    grep -q '^finish: stop$' "$tmp/out"; then
    verdict OK "tool called, result sent back, final answer received"
else
    verdict FAIL "exit $rc"
fi

echo
if [ $failures -eq 0 ]; then
    printf '%sdemo: all %d steps behaved%s\n' "$G" "$steps" "$N"
    exit 0
fi
printf '%sdemo: %d check(s) failed%s\n' "$R" "$failures" "$N"
exit 1
