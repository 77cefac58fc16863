#!/bin/sh
# Build the llmio CPython extension into build/python/llmio/ (importable
# with PYTHONPATH=build/python). Links build/lib/libllmio.a statically.
# Usage: python/build.sh [PYTHON]   (env: CC, CFLAGS)
set -eu
cd "$(dirname "$0")/.."
PY=${1:-${PYTHON:-python3}}
CC=${CC:-cc}
# LLMIO_PY_SANITIZE=1: an ASan+UBSan build against build/asan's library,
# into build/python-asan/ (python/run-tests.sh runs it with libasan
# preloaded).
LIB=build/lib/libllmio.a
DEST=build/python
SAN=
if [ -n "${LLMIO_PY_SANITIZE:-}" ]; then
    LIB=build/asan/lib/libllmio.a
    DEST=build/python-asan
    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer"
    make BUILD=build/asan SANITIZE=address,undefined OPT=-O1 "$LIB" >/dev/null
fi
[ -f "$LIB" ] || make "$LIB" >/dev/null
INC=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
EXT=$("$PY" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
OUT=$DEST/llmio
# Objects are compiled against one interpreter's headers: keep them per ABI
# (the extension suffix names it), so building for a second Python never
# links objects made for the first.
OBJ=$DEST/obj/$(echo "$EXT" | tr -c 'A-Za-z0-9_\n' '_')
mkdir -p "$OUT" "$OBJ"
LIBS=$(pkg-config --libs libcurl 2>/dev/null || echo -lcurl)
CF="-std=c11 -D_GNU_SOURCE -O2 -g -fPIC -fvisibility=hidden -Wall -Wextra \
-Wno-missing-field-initializers -Wno-cast-function-type $SAN ${CFLAGS:-}"
objs=""
for src in python/src/*.c; do
    o=$OBJ/$(basename "$src" .c).o
    if [ ! -f "$o" ] || [ "$src" -nt "$o" ] || [ python/src/module.h -nt "$o" ] ||
        [ include/llmio.h -nt "$o" ]; then
        # shellcheck disable=SC2086
        $CC $CF -Iinclude -I"$INC" -c "$src" -o "$o"
    fi
    objs="$objs $o"
done
# shellcheck disable=SC2086
$CC -shared $SAN -o "$OUT/_llmio$EXT.tmp" $objs "$LIB" $LIBS -lm
mv "$OUT/_llmio$EXT.tmp" "$OUT/_llmio$EXT"
cp python/llmio/*.py "$OUT/"
# Byte-compile now: with PYTHONDONTWRITEBYTECODE (or a read-only install)
# every import would otherwise recompile the sources (~5-10 ms).
"$PY" -m compileall -q "$OUT" >/dev/null
echo "built $OUT/_llmio$EXT"
