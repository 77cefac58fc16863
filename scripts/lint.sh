#!/bin/sh
# scripts/lint.sh SHARED_LIB - the static checks behind "make lint":
#   1. no banned functions in src/ (STYLE section 10; alloc.c is the one
#      place that reaches libc's allocator);
#   2. libcurl is included only by src/engine.c and src/loop.c (STYLE 1);
#   3. the shared library exports exactly the names in src/llmio.sym, and
#      that list holds only llmio_ names (STYLE 13, "Export check").
# Prints one line per finding and exits non-zero if there was any.
set -u
cd "$(dirname "$0")/.."
lib=${1:-build/lib/libllmio.so}
status=0
CC=${CC:-cc}

banned='malloc|calloc|realloc|free|strdup|sprintf|strcpy|strcat|strtok|atoi|gets|sleep'
for f in src/*.c src/*.h src/providers/*.c src/providers/*.h; do
    [ -f "$f" ] || continue
    [ "$f" = src/alloc.c ] && continue
    # Comments are stripped first (the preprocessor does it without
    # expanding anything), so prose such as "free (it)" is not a finding.
    # A name preceded by an identifier character, '.', or '>' is another
    # name or a struct member (llmio__free, a->free, .malloc =).
    hits=$($CC -fpreprocessed -dD -E -P "$f" 2>/dev/null |
        grep -nE "(^|[^A-Za-z0-9_.>])($banned)[[:space:]]*\(")
    if [ -n "$hits" ]; then
        echo "lint: $f: banned function:"
        echo "$hits" | sed 's/^/    /'
        status=1
    fi
done

for f in $(grep -lE '#[[:space:]]*include[[:space:]]*[<"]curl/' src/*.c src/*.h src/providers/*.[ch] 2>/dev/null); do
    case "$f" in
    src/engine.c | src/loop.c) ;;
    *)
        echo "lint: $f includes libcurl (only engine.c and loop.c may)"
        status=1
        ;;
    esac
done

if grep -vE '^llmio_[a-z0-9_]+$' src/llmio.sym | grep -q .; then
    echo "lint: src/llmio.sym holds names that are not llmio_ functions:"
    grep -vE '^llmio_[a-z0-9_]+$' src/llmio.sym | sed 's/^/    /'
    status=1
fi
if [ ! -f "$lib" ]; then
    echo "lint: $lib not found (build it first)"
    status=1
else
    tmp=${TMPDIR:-/tmp}/llmio-lint.$$
    nm -D --defined-only "$lib" | awk '{print $3}' | sort > "$tmp.nm"
    sort src/llmio.sym > "$tmp.sym"
    if ! cmp -s "$tmp.nm" "$tmp.sym"; then
        echo "lint: exports of $lib differ from src/llmio.sym" \
            "(< exported only, > listed only):"
        diff "$tmp.nm" "$tmp.sym" | grep '^[<>]' | sed 's/^/    /'
        status=1
    fi
    rm -f "$tmp.nm" "$tmp.sym"
fi
[ $status = 0 ] && echo "lint: ok"
exit $status
