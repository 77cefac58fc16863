#!/bin/sh
# scripts/check-static.sh - the static stage of "make test"
# (scripts/test-all.sh runs it when executable):
#   lint          "make lint" (banned functions, curl confinement, exports)
#   bench-build   the bench/ programs compile with -Werror
#   format-engine clang-format check of the async core's files
#   format-cli-server  the same for every file of cli/ and server/ (new
#                 files there are checked by their directory); the whole
#                 tree joins ("make format-check") once every file is
#                 formatted
# Last line: "N passed, N failed", which test-all.sh reads.
cd "$(dirname "$0")/.."
mkdir -p build/logs
pass=0
fail=0

report() {
    # $1 name, $2 exit status, $3 log file
    if [ "$2" = 0 ]; then
        echo "ok     $1"
        pass=$((pass + 1))
    else
        echo "FAIL   $1"
        echo "------ output of $1"
        tail -40 "$3"
        echo "------"
        fail=$((fail + 1))
    fi
}

make --no-print-directory lint > build/logs/lint.out 2>&1
report lint $? build/logs/lint.out

# The bench programs are not in "make all"; build them here with the same
# -Werror flags so a change to the public API cannot break them unnoticed.
make --no-print-directory CI=true bench-build > build/logs/bench-build.out 2>&1
report bench-build $? build/logs/bench-build.out

ENGINE_FILES="src/client.c src/client.h src/engine.c src/future.c src/loop.c
    src/http.c src/http.h include/llmio/adapters/poll.h
    include/llmio/adapters/libuv.h include/llmio/adapters/libevent.h
    tests/unit/test-http.c tests/integration/engine-util.c
    tests/integration/engine-util.h tests/integration/test-engine.c
    tests/integration/test-engine-life.c tests/integration/test-engine-modes.c
    tests/integration/test-engine-torture.c bench/bench_engine.c"
if command -v clang-format > /dev/null 2>&1; then
    # shellcheck disable=SC2086
    clang-format --dry-run -Werror $ENGINE_FILES > build/logs/format-engine.out 2>&1
    report format-engine $? build/logs/format-engine.out
    clang-format --dry-run -Werror cli/*.[ch] server/*.[ch] \
        > build/logs/format-cli-server.out 2>&1
    report format-cli-server $? build/logs/format-cli-server.out
fi
echo "$pass passed, $fail failed"
