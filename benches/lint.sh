#!/usr/bin/env bash
# Lint benchmark: 1,000 mutual-TLS servers in 100 include files, each with its own CA
# bundle and CRL, linted with every rule, side by side with `nginx -t` on the same tree.
#   bash benches/lint.sh [SERVERS] [FILES]
# Needs nginx on PATH (or in /usr/sbin). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
servers=${1:-1000}
files=${2:-100}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release -q
cargo bench -q --bench gen_lint_tree -- "$work/tree" "$servers" "$files" >/dev/null
nginx=$(command -v nginx || echo /usr/sbin/nginx)
bin=target/release/nginx-mtls-lint

best() {
  local n=$1; shift
  python3 - "$n" "$@" <<'PY'
import subprocess, sys, time
n = int(sys.argv[1]); cmd = sys.argv[2:]
times = []
for _ in range(n):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append(time.perf_counter() - t)
print(f"{min(times):.3f}")
PY
}

ours=$(best 5 "$bin" "$work/tree/nginx.conf")
theirs=$(best 5 "$nginx" -t -q -p "$work/tree" -c "$work/tree/nginx.conf" -g "pid $work/nginx.pid; error_log $work/error.log;")
summary=$("$bin" "$work/tree/nginx.conf" | tail -1 || true)
ratio=$(python3 -c "print(f'{$theirs/$ours:.1f}x')")
echo "Tree: $servers servers in $files include files, $(ls "$work/tree/tls" | wc -l) certificate/CRL files; machine: $(nproc) cores, $(date -u +%Y-%m-%d)"
echo "nginx-mtls-lint result: $summary"
echo
echo "| command (best of 5) | time | |"
echo "|---|---|---|"
echo "| \`nginx-mtls-lint nginx.conf\` (all rules, reads every certificate and CRL) | ${ours} s | ${ratio} faster |"
echo "| \`$($nginx -v 2>&1 | sed 's/nginx version: //') -t\` on the same tree | ${theirs} s | |"
