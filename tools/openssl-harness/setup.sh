#!/usr/bin/env bash
# Create one venv per bundled OpenSSL version: setup.sh DIR
# Each venv gets a pinned `cryptography` wheel (which links OpenSSL statically)
# and a pinned pyOpenSSL that accepts that cryptography. Binary wheels only.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
DIR=$1
PY=${PYTHON:-python3}
mkdir -p "$DIR"

# name  cryptography  pyOpenSSL  expected "OpenSSL x.y.z" prefix
PINS="
3.0 39.0.2 23.0.0 3.0.8
3.1 41.0.7 23.2.0 3.1.4
3.2 42.0.8 24.1.0 3.2.2
3.3 43.0.3 24.2.1 3.3.2
3.4 44.0.3 25.0.0 3.4.1
3.5 46.0.7 26.2.0 3.5.6
4.0 50.0.2 26.4.0 4.0.3
"

probe='import cryptography, OpenSSL
from cryptography.hazmat.backends.openssl import backend
print(cryptography.__version__, OpenSSL.__version__, backend.openssl_version_text())'

fail() { echo "setup.sh: $*" >&2; exit 1; }

while read -r name crypto pyossl want; do
    [ -n "$name" ] || continue
    venv=$DIR/$name
    got=$("$venv/bin/python" -c "$probe" 2>/dev/null || true)
    if [[ "$got" != "$crypto $pyossl OpenSSL $want "* ]]; then
        rm -rf "$venv"
        "$PY" -m venv "$venv" || fail "cannot create venv $venv"
        "$venv/bin/python" -m pip install -q --only-binary :all: \
            "cryptography==$crypto" "pyOpenSSL==$pyossl" \
            || fail "pip install cryptography==$crypto pyOpenSSL==$pyossl failed in $venv"
        got=$("$venv/bin/python" -c "$probe") || fail "cannot import pyOpenSSL in $venv"
        [[ "$got" == "$crypto $pyossl OpenSSL $want "* ]] \
            || fail "$venv: expected OpenSSL $want, got: $got"
    fi
    echo "venv $venv ${got#* * }"
done <<< "$PINS"
