#!/bin/sh
# scripts/check-static.sh - the static stage of "make test"
# (scripts/test-all.sh runs it when executable): "make lint" as one test.
# format-check is not run here: the installed clang-format must understand
# every key of .clang-format first (see docs/internals/engine.md).
# Last line: "N passed, N failed", which test-all.sh reads.
cd "$(dirname "$0")/.."
if make --no-print-directory lint > build/logs/lint.out 2>&1; then
    echo "ok     lint"
    echo "1 passed, 0 failed"
else
    echo "FAIL   lint"
    echo "------ output of lint"
    tail -40 build/logs/lint.out
    echo "------"
    echo "0 passed, 1 failed"
fi
