#!/bin/sh
# bench/libcurl8.sh - puts libcurl 8.x from Debian's bookworm-backports into a
# local prefix (build/curl8/), without touching the system's apt sources or
# its libcurl 7.88: a private apt configuration fetches the backports index,
# "apt-get download" fetches libcurl4 and libcurl4-openssl-dev, and
# "dpkg -x" unpacks them. Afterwards:
#
#   build/curl8/lib/libcurl.so.4        the 8.x runtime (LD_LIBRARY_PATH)
#   build/curl8/root/usr/include/*/curl/ its headers
#   build/curl8/root/usr/lib/x86_64-linux-gnu/pkgconfig/libcurl.pc
#
# and "make CURL_PREFIX=build/curl8" builds llmio and its programs against it
# (docs/PERFORMANCE.md, "libcurl"). Prints the prefix. Idempotent.
set -eu
cd "$(dirname "$0")/.."
P=$(pwd)/build/curl8
if [ -e "$P/lib/libcurl.so.4" ] && [ -d "$P/root/usr/include" ]; then
    echo "$P"; exit 0
fi
SUITE=${CURL8_SUITE:-bookworm-backports}
mkdir -p "$P/apt/lists/partial" "$P/apt/cache/archives/partial" "$P/apt/sources" "$P/debs" "$P/root" "$P/lib"
cat > "$P/apt/sources/curl8.sources" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: $SUITE
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
APT="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$P/apt/sources
     -o Dir::State::Lists=$P/apt/lists -o Dir::Cache=$P/apt/cache -o Debug::NoLocking=1 -o APT::Sandbox::User=root"
# shellcheck disable=SC2086
apt-get $APT -qq update
# shellcheck disable=SC2086
VER=$(apt-cache $APT show libcurl4 | sed -n 's/^Version: \(8\..*\)/\1/p' | head -1)
if [ -z "$VER" ]; then
    echo "libcurl8.sh: no libcurl4 8.x in $SUITE" >&2; exit 1
fi
# shellcheck disable=SC2086
(cd "$P/debs" && apt-get $APT -qq download "libcurl4=$VER" "libcurl4-openssl-dev=$VER")
for d in "$P"/debs/*.deb; do dpkg -x "$d" "$P/root"; done
LIBDIR=$P/root/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
REL=../root/usr/lib/${LIBDIR##*/usr/lib/}
ln -sf "$REL/libcurl.so.4" "$P/lib/libcurl.so.4"
ln -sf "$REL/libcurl.so.4" "$P/lib/libcurl.so"
# Every library it needs must come from the system (Debian 12 has them all).
if LD_LIBRARY_PATH=$P/lib ldd "$P/lib/libcurl.so.4" | grep -q "not found"; then
    echo "libcurl8.sh: unresolved libraries:" >&2
    LD_LIBRARY_PATH=$P/lib ldd "$P/lib/libcurl.so.4" | grep "not found" >&2
    exit 1
fi
echo "$P"
