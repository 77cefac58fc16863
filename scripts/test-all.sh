#!/bin/sh
# The whole test gate behind "make test" (and so .ci/run):
#   1. plain build, every test;
#   2. ASan+UBSan build, every test;
#   3. plain build, every test under valgrind memcheck;
#   4. every fuzz corpus replayed through its target (plain and ASan builds).
# Each stage's runner prints "N passed, N failed"; this script sums them and
# prints the total as its last line.
set -u
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
MAKEFLAGS_J="-j$(nproc 2>/dev/null || echo 2)"
pass=0
fail=0
mkdir -p build/logs

add_counts() {
    # $1: log file whose last "N passed, N failed" line is added in.
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -1)
    if [ -z "$line" ]; then
        echo "test-all: $1 has no result line; counting one failure"
        fail=$((fail + 1))
        return
    fi
    p=$(echo "$line" | cut -d' ' -f1)
    f=$(echo "$line" | cut -d' ' -f3)
    pass=$((pass + p))
    fail=$((fail + f))
}

stage() {
    name=$1
    shift
    echo "=== $name"
    "$@" > "build/logs/$name.log" 2>&1
    grep -E '^(FAIL|------)' -A0 "build/logs/$name.log" >/dev/null 2>&1 &&
        sed -n '/^FAIL/,/^------$/p' "build/logs/$name.log" | head -400
    tail -1 "build/logs/$name.log"
    add_counts "build/logs/$name.log"
}

build_or_fail() {
    name=$1
    shift
    if ! "$@" > "build/logs/build-$name.log" 2>&1; then
        echo "test-all: build $name failed:"
        tail -60 "build/logs/build-$name.log"
        fail=$((fail + 1))
        return 1
    fi
}

replay_fuzz() {
    # $1: bin dir. One test per target; prints its own result line.
    p=0
    f=0
    # The targets are the sources: a binary left from a removed target
    # (an old build directory) is not replayed.
    for src in fuzz/fuzz_*.c; do
        n=$(basename "$src" .c | sed 's/^fuzz_//')
        bin="$1/fuzz-$n"
        if [ ! -x "$bin" ]; then
            echo "FAIL   fuzz-$n: not built ($bin)"
            f=$((f + 1))
        elif [ ! -d "tests/fuzz-corpus/$n" ]; then
            echo "FAIL   fuzz-$n: no corpus tests/fuzz-corpus/$n"
            f=$((f + 1))
        elif "$bin" "tests/fuzz-corpus/$n"; then
            echo "ok     fuzz-$n"
            p=$((p + 1))
        else
            echo "FAIL   fuzz-$n"
            f=$((f + 1))
        fi
    done
    echo "$p passed, $f failed"
}

if build_or_fail plain make $MAKEFLAGS_J all; then
    stage plain build/bin/llmio-test -j "$JOBS"
    stage fuzz-replay replay_fuzz build/bin
fi
if build_or_fail asan make $MAKEFLAGS_J BUILD=build/asan SANITIZE=address,undefined OPT=-O1 all; then
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        stage asan build/asan/bin/llmio-test -j "$JOBS"
    ASAN_OPTIONS=detect_leaks=1 stage fuzz-replay-asan replay_fuzz build/asan/bin
fi
if [ -x build/bin/llmio-test ]; then
    LLMIO_TEST_VALGRIND=1 stage valgrind build/bin/llmio-test -j "$JOBS"
fi
if [ -x python/run-tests.sh ]; then
    stage python sh python/run-tests.sh
fi
if [ -x scripts/check-static.sh ]; then
    stage static sh scripts/check-static.sh
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
