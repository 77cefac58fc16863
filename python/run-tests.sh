#!/bin/sh
# Python stage of the test gate: build the extension, run pytest against
# llmio-mock, print "N passed, N failed" as the last line.
# pytest comes from a project-local venv (.venv/), created when missing.
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${LLMIO_VENV:-.venv}
mkdir -p build/logs

result() {
    echo "$1 passed, $2 failed"
    [ "$2" = 0 ]
    exit $?
}

if [ ! -f build/lib/libllmio.a ] || [ ! -x build/bin/llmio-mock ]; then
    make build/lib/libllmio.a build/bin/llmio-mock >build/logs/python-make.log 2>&1 || {
        echo "python: make failed (build/logs/python-make.log)"
        tail -20 build/logs/python-make.log
        result 0 1
    }
fi
# LLMIO_PY_SANITIZE=1: the extension and libllmio built with ASan+UBSan
# (build/python-asan/), run with the sanitizer runtimes preloaded; RSS
# bounds are not checked (ASan's quarantine holds freed memory).
PYBUILD=$PWD/build/python
PRELOAD=
if [ -n "${LLMIO_PY_SANITIZE:-}" ]; then
    PYBUILD=$PWD/build/python-asan
    PRELOAD="$(${CC:-cc} -print-file-name=libasan.so) $(${CC:-cc} -print-file-name=libubsan.so)"
    # The interpreter's own allocations are left to Python's accounting.
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    export PYTHONMALLOC=malloc
fi
export LLMIO_PY_BUILD="$PYBUILD"
if ! sh python/build.sh "$PY" >build/logs/python-build.log 2>&1; then
    echo "python: extension build failed:"
    tail -30 build/logs/python-build.log
    result 0 1
fi
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import pytest' 2>/dev/null; then
    { [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"; } &&
        "$VENV/bin/pip" install -q pytest || {
        echo "python: could not set up $VENV with pytest"
        result 0 1
    }
fi

out=build/logs/python-pytest.log
[ -z "$PRELOAD" ] || export LD_PRELOAD="$PRELOAD"
PYTHONPATH="$PYBUILD" timeout "${PYTEST_TIMEOUT:-600}" \
    "$VENV/bin/python" -m pytest -q -rfE -p no:cacheprovider python/tests "$@" \
    >"$out" 2>&1
rc=$?
cat "$out"
summary=$(grep -E '^(=+ )?[0-9]+ (passed|failed|error|errors|skipped|deselected)|no tests ran' "$out" | tail -1)
num() {
    echo "$summary" | grep -oE "[0-9]+ $1" | head -1 | cut -d' ' -f1
}
p=$(num passed)
f=$(num failed)
e=$(num 'errors?')
p=${p:-0}
f=$((${f:-0} + ${e:-0}))
if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
    # no tests (exit 5), a crash, a timeout or an internal error
    echo "python: pytest exited with status $rc"
    f=1
fi
result "$p" "$f"
