#!/usr/bin/env bash
# Lint benchmark: a series of trees of mutual-TLS servers (100, 1,000, 5,000 and 20,000
# by default, ten servers per include file), each server with its own CA bundle (root
# and intermediate) and CRL file and a location proxying to its own HTTPS backend with
# upstream mTLS (benches/gen_lint_tree.rs). Each tree is linted with every rule, side
# by side with `nginx -t` on the same tree, in the same run.
#   bash benches/lint.sh [SERVERS...]          e.g. bash benches/lint.sh 1000
#   RUNS=5 NGINX_RUNS=3 bash benches/lint.sh   runs per tool (best is reported)
# Needs nginx on PATH (or in /usr/sbin). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
((${#sizes[@]})) || sizes=(100 1000 5000 20000)
runs=${RUNS:-5}
nginx_runs=${NGINX_RUNS:-3}
work=${BENCH_DIR:-$(mktemp -d)}
[[ -n ${BENCH_DIR:-} ]] || trap 'rm -rf "$work"' EXIT
cargo build --release -q
nginx=$(command -v nginx || echo /usr/sbin/nginx)
bin=$PWD/target/release/nginx-mtls-lint
# nginx holds every log file open; the trees need a few thousand descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# Best wall time of N runs, with the CPU time (user+sys) and peak RSS of that run
# (measured by GNU time: a child of Python would count Python's memory); a run that
# exits with a code not in OK (e.g. 0,1) stops the benchmark.
best() {
  local n=$1 ok=$2; shift 2
  python3 - "$n" "$ok" "$@" <<'PY'
import os, subprocess, sys, tempfile, time
n = int(sys.argv[1]); ok = [int(c) for c in sys.argv[2].split(",")]; cmd = sys.argv[3:]
best = None
with tempfile.NamedTemporaryFile() as out:
    for _ in range(n):
        t = time.perf_counter()
        r = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", out.name] + cmd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t
        # nginx -t must pass: a failed run measures nothing.
        if r.returncode not in ok:
            sys.exit(f"{cmd[0]} failed: exit {r.returncode}")
        user, system, rss = open(out.name).read().split()[-3:]
        run = (wall, float(user) + float(system), int(rss) / 1024)
        if best is None or run[0] < best[0]:
            best = run
print(f"{best[0]:.3f} {best[1]:.3f} {best[2]:.1f}")
PY
}

echo "Machine: $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg) before;" \
  "commit $(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes'); $($nginx -v 2>&1 | sed 's/nginx version: //')"
echo
echo "| servers | files read | nginx-mtls-lint: wall, CPU, CPUs busy, peak RSS (best of $runs) | nginx -t: wall, CPU, peak RSS (best of $nginx_runs) | speed-up |"
echo "|---:|---:|---|---|---:|"
for n in "${sizes[@]}"; do
  tree=$work/tree-$n
  if [[ ! -f $tree/nginx.conf ]]; then
    cargo bench -q --bench gen_lint_tree -- "$tree" "$n" "$(( (n + 9) / 10 ))" >/dev/null
  fi
  read -r ow oc orss <<<"$(best "$runs" 0,1 "$bin" "$tree/nginx.conf")"
  read -r tw tc trss <<<"$(best "$nginx_runs" 0 "$nginx" -t -q -p "$tree" -c "$tree/nginx.conf" \
    -g "pid $work/nginx.pid; error_log $work/error.log;")"
  files=$(( $(ls "$tree/tls" | wc -l) + $(ls "$tree/sites" | wc -l) + 1 ))
  python3 -c "
ow, oc, orss, tw, tc, trss = $ow, $oc, $orss, $tw, $tc, $trss
print(f'| {$n:,} | {$files:,} | {ow:.3f} s, {oc:.2f} s, {oc/ow:.2f}, {orss:.0f} MiB | {tw:.3f} s, {tc:.2f} s, {trss:.0f} MiB | {tw/ow:.1f}x |')"
done
echo
echo "nginx-mtls-lint on the largest tree: $("$bin" "$work/tree-${sizes[-1]}/nginx.conf" | tail -1 || true)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
