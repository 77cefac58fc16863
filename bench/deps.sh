#!/bin/sh
# bench/deps.sh - installs what the benchmarks need, only when missing:
#   Debian packages (wrk, nginx-light, gnuplot-nox, node, python3-venv, ...),
#   the Python peers into the ignored venv bench/.peers/venv, and the node peer
#   into bench/.peers/node. Peers never become product dependencies.
# --quiet prints nothing when everything is already there.
set -eu
cd "$(dirname "$0")"
quiet=${1:-}
say() { [ "$quiet" = "--quiet" ] || echo "bench deps: $*"; }

PKGS="wrk nginx-light gnuplot-nox nodejs npm python3-venv util-linux procps
      libcurl4-openssl-dev libjansson-dev libcjson-dev curl"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
# A machine with node from elsewhere (nvm, nodesource) needs no Debian nodejs/npm.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    missing=$(echo "$missing" | sed -e 's/ nodejs//' -e 's/ npm//')
fi
if [ -n "$(echo "$missing" | tr -d ' ')" ]; then
    say "installing$missing"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

# Python peers. RiteLLM needs Python >= 3.12 (its wheel is for 3.12): use a
# 3.12 (else 3.13) on PATH or under pyenv; Debian 12's own 3.11 still runs
# every other peer.
PYPEERS="openai litellm ritellm aiohttp httpx"
if [ ! -x .peers/venv/bin/python ]; then
    PY=""
    # Run each candidate: a pyenv shim for a version that is not selected
    # exists on PATH but fails.
    for c in python3.12 python3.13 \
             "$HOME"/.pyenv/versions/3.12*/bin/python3 "$HOME"/.pyenv/versions/3.13*/bin/python3; do
        if "$c" -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then
            PY=$c; break
        fi
    done
    [ -n "$PY" ] || PY=$(command -v python3)
    say "creating .peers/venv with $PY"
    "$PY" -m venv .peers/venv
fi
if ! .peers/venv/bin/python -c "import openai, litellm, aiohttp, httpx" 2>/dev/null; then
    say "pip install $PYPEERS"
    # ritellm has no wheel for Python < 3.12: install the rest without it.
    .peers/venv/bin/pip install -q --disable-pip-version-check $PYPEERS ||
        .peers/venv/bin/pip install -q --disable-pip-version-check openai litellm aiohttp httpx
fi

# Node peer.
if [ ! -d .peers/node/node_modules/openai ]; then
    say "npm install openai"
    mkdir -p .peers/node
    [ -f .peers/node/package.json ] || echo '{"name":"llmio-bench-peers","private":true}' > .peers/node/package.json
    (cd .peers/node && npm install --silent --no-audit --no-fund openai)
fi
say "all present"
