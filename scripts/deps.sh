#!/bin/sh
# Installs the Debian packages the build, tests, demo and benchmarks need,
# only when something is missing, so "make test" and "make demo" are the whole
# set-up on a fresh Debian 12 machine. --quiet prints nothing when all is there.
set -eu
PKGS="build-essential pkg-config libcurl4-openssl-dev clang libclang-rt-14-dev
      valgrind libuv1-dev libevent-dev clang-format libjansson-dev libcjson-dev
      curl python3-venv python3-dev openssl"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -z "$missing" ]; then
    [ "${1:-}" = "--quiet" ] || echo "deps: all present"
    exit 0
fi
echo "deps: installing$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO=sudo
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
