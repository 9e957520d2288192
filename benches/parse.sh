#!/usr/bin/env bash
# Parser benchmark: generated configurations of 1, 10 and 100 MB, each parsed by
# nginx-mtls-lint, by crossplane (the reference parser) and read by `cat` (the floor),
# all in the same run. Prints Markdown tables: wall time, MB/s and peak RSS.
#   bash benches/parse.sh [--baseline BIN] [--library] [SIZE_MB ...]   (default: 1 10 100)
#     --baseline BIN  also time another build of nginx-mtls-lint (a copy of an older
#                     release binary), in the same run, for before/after numbers
#     --library       also time the library (cargo bench --bench parse): parse to a tree
# Each command runs under /usr/bin/time -f %M (peak RSS), the commands of one size in
# turns; wall time is the best of 5 for nginx-mtls-lint and cat, of 2 for crossplane
# (once from 50 MB on: it takes ~50 s at 100 MB). Output goes to /dev/null. Needs python3, crossplane (pip install crossplane)
# and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
baseline=
library=
sizes=()
while [ $# -gt 0 ]; do
  case $1 in
    --baseline) baseline=$(realpath "$2"); shift 2 ;;
    --library) library=1; shift ;;
    *) sizes+=("$1"); shift ;;
  esac
done
[ ${#sizes[@]} -gt 0 ] || sizes=(1 10 100)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release -q
bin=${CARGO_TARGET_DIR:-target}/release/nginx-mtls-lint
cp "$bin" "$work/nginx-mtls-lint"
bin=$work/nginx-mtls-lint

# `measure BYTES NAME RUNS CMD... -- NAME RUNS CMD... -- ...`: the commands run in turns
# (one run of each, then again), so that a change in the machine's load reaches all of
# them alike; each run under /usr/bin/time (stdout to /dev/null). Prints a Markdown row
# per command: best wall time, MB/s, CPU time (user + system, of the best run, to 10 ms),
# peak RSS (the largest of its runs).
measure() {
  python3 - "$@" <<'PY'
import subprocess, sys, tempfile, time
size = int(sys.argv[1]); args = sys.argv[2:]
cmds = []
while args:
    k = args.index("--") if "--" in args else len(args)
    cmds.append({"name": args[0], "runs": int(args[1]), "cmd": args[2:k], "best": float("inf"), "rss": 0, "cpu": 0.0})
    args = args[k + 1:]
with tempfile.NamedTemporaryFile() as f:
    for r in range(max(c["runs"] for c in cmds)):
        for c in cmds:
            if r >= c["runs"]:
                continue
            t = time.perf_counter()
            subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", f.name, *c["cmd"]],
                           stdout=subprocess.DEVNULL, check=True)
            wall = time.perf_counter() - t
            f.seek(0)
            rss, user, system = f.read().split()[-3:]
            c["rss"] = max(c["rss"], int(rss))
            if wall < c["best"]:
                c["best"], c["cpu"] = wall, float(user) + float(system)
for c in cmds:
    if size:
        print(f"| {c['name']} | {c['runs']} | {c['best']:.4f} s | {size / 1e6 / c['best']:.0f} "
              f"| {c['cpu']:.2f} s | {c['rss'] / 1024:.0f} MiB | {c['rss'] * 1024 / size:.2f}x |")
    else:
        print(f"{c['best']:.4f}")
PY
}

cp_version=$(python3 -c 'import crossplane; print(crossplane.__version__)')
floor=$(measure 0 true 20 true)
echo "Machine: $(nproc) cores, $(uname -m), $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
if commit=$(git rev-parse --short HEAD 2>/dev/null); then
  git diff --quiet HEAD -- src || commit="$commit + uncommitted changes"
else
  commit="not a git checkout"
fi
echo "nginx-mtls-lint: $commit; crossplane $cp_version"
echo "Floor: /usr/bin/time around \`true\` takes $floor s (included in every wall time)."
for size in "${sizes[@]}"; do
  # gen_config.py writes about 1,030 bytes per server.
  servers=$((size * 1000))
  f=$work/parse-$size.conf
  python3 benches/gen_config.py "$f" "$servers"
  bytes=$(stat -c %s "$f")
  mb=$(python3 -c "print(round($bytes/1e6, 2))")
  cp_runs=2
  [ "$size" -lt 50 ] || cp_runs=1
  echo
  echo "### $mb MB ($servers servers, $(wc -l < "$f") lines)"
  echo
  echo "| command | runs | wall (best) | MB/s | CPU | peak RSS | RSS / input |"
  echo "|---|---|---|---|---|---|---|"
  peers=("\`nginx-mtls-lint parse --single-file\`" 5 "$bin" parse --single-file "$f")
  if [ -n "$baseline" ]; then
    peers+=(-- "the same, baseline binary" 5 "$baseline" parse --single-file "$f")
  fi
  peers+=(-- "\`crossplane parse --single-file\`" "$cp_runs" crossplane parse --single-file "$f")
  peers+=(-- "\`cat\`" 5 cat "$f")
  measure "$bytes" "${peers[@]}"
  if [ -n "$library" ]; then
    lib=$(cargo bench -q --bench parse -- "$f" 10 tree 2>/dev/null |
      sed -n 's/^parse (tree only): .* in \([0-9.]*\) ms.*/\1/p')
    echo
    echo "Library, parse to a tree (best of 10): $lib ms, $(python3 -c "print(f'{$bytes/1e3/$lib:.0f}')") MB/s"
  fi
done
