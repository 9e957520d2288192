#!/usr/bin/env bash
# Parser benchmark: a generated ~10 MB configuration, parsed by nginx-mtls-lint and by
# crossplane (the reference parser) in the same run.
#   bash benches/parse.sh [SERVERS]      (default 10000 servers: about 10 MB)
# Needs python3 and crossplane (pip install crossplane). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
servers=${1:-10000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 benches/gen_config.py "$work/big.conf" "$servers"
bytes=$(stat -c %s "$work/big.conf")
mb=$(python3 -c "print(round($bytes/1e6, 2))")
cargo build --release -q
bin=target/release/nginx-mtls-lint

# Best of N wall-clock seconds for a command (output discarded).
best() {
  local n=$1; shift
  python3 - "$n" "$@" <<'PY'
import subprocess, sys, time
n = int(sys.argv[1]); cmd = sys.argv[2:]
best = min(
    (lambda t0: (subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True), time.perf_counter() - t0)[1])(time.perf_counter())
    for _ in range(n)
)
print(f"{best:.4f}")
PY
}

ours_cli=$(best 5 "$bin" parse --single-file "$work/big.conf")
cp_cli=$(best 2 crossplane parse --single-file "$work/big.conf")
cp_lib=$(python3 - "$work/big.conf" <<'PY'
import sys, time, crossplane
best = 1e9
for _ in range(2):
    t = time.perf_counter()
    crossplane.parse(sys.argv[1], single=True, check_ctx=False, check_args=False)
    best = min(best, time.perf_counter() - t)
print(f"{best:.4f}")
PY
)
lib_out=$(cargo bench -q --bench parse -- "$work/big.conf" 10 2>/dev/null)
ours_lib=$(echo "$lib_out" | sed -n 's/^parse (tree only): .* in \([0-9.]*\) ms.*/\1/p')
ours_lib=$(python3 -c "print(round($ours_lib/1000, 4))")

rate() { python3 -c "print(f'{$bytes/1e6/$1:.1f}')"; }
ratio() { python3 -c "print(f'{$1/$2:.0f}x')"; }
echo "Input: generated configuration, $servers servers, $mb MB ($(wc -l < "$work/big.conf") lines)"
echo "Machine: $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d)"
echo
echo "| what | nginx-mtls-lint | crossplane $(python3 -c 'import crossplane; print(crossplane.__version__)') | speed-up |"
echo "|---|---|---|---|"
echo "| library: parse to a tree (best of 10 / 2) | ${ours_lib} s, $(rate "$ours_lib") MB/s | ${cp_lib} s, $(rate "$cp_lib") MB/s | $(ratio "$cp_lib" "$ours_lib") |"
echo "| command: \`parse --single-file\`, JSON to /dev/null (best of 5 / 2) | ${ours_cli} s, $(rate "$ours_cli") MB/s | ${cp_cli} s, $(rate "$cp_cli") MB/s | $(ratio "$cp_cli" "$ours_cli") |"
