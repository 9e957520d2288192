#!/usr/bin/env bash
# Lint time of two commits on the same 1,000-server tree (benches/gen_lint_tree.rs):
#   bash benches/lint_before_after.sh OLD_REV [SERVERS] [FILES] [RUNS]
# Builds OLD_REV in a temporary worktree and the working tree, then runs both
# alternately; prints min and median wall time, and instructions (valgrind, if present).
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:?usage: lint_before_after.sh OLD_REV [SERVERS] [FILES] [RUNS]}
servers=${2:-1000}
files=${3:-100}
runs=${4:-40}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/old" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add -q "$work/old" "$old"
(cd "$work/old" && CARGO_TARGET_DIR="$work/old-target" cargo build --release -q)
cargo build --release -q
cargo bench -q --bench gen_lint_tree -- "$work/tree" "$servers" "$files" >/dev/null
before="$work/old-target/release/nginx-mtls-lint"
after=target/release/nginx-mtls-lint
python3 - "$before" "$after" "$work/tree/nginx.conf" "$runs" <<'PY'
import subprocess, sys, time
old, new, conf, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
res = {old: [], new: []}
for i in range(n):
    for b in ((old, new) if i % 2 else (new, old)):
        t = time.perf_counter()
        subprocess.run([b, conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        res[b].append(time.perf_counter() - t)
for name, b in (("before", old), ("after", new)):
    r = sorted(res[b])
    print(f"| {name} | {r[0]:.4f} s | {r[len(r)//2]:.4f} s |")
PY
if command -v valgrind >/dev/null; then
  for b in "$before" "$after"; do
    valgrind --tool=callgrind --callgrind-out-file="$work/cg" "$b" "$work/tree/nginx.conf" 2>&1 \
      | sed -n 's/.*Collected : /instructions: /p'
  done
fi
