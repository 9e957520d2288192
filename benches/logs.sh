#!/usr/bin/env bash
# Benchmark of `nginx-mtls-lint logs` against wc -l, awk and GoAccess on one generated
# access log in an mTLS log_format (the `mtls` format of tests/logs_e2e.rs).
#
#   benches/logs.sh [LINES]        # default 5000000; needs goaccess and GNU time
#
# Every tool reads the same file from the page cache (a warm-up `cat` runs first); each
# is measured with /usr/bin/time -v (wall time and peak RSS). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."

LINES=${1:-5000000}
WORK=${BENCH_DIR:-$(mktemp -d)}
LOG="$WORK/access-$LINES.log"
BIN=target/release/nginx-mtls-lint

for t in goaccess /usr/bin/time awk; do
  command -v "$t" >/dev/null || { echo "missing: $t (apt-get install goaccess time gawk)" >&2; exit 2; }
done
cargo build --release --quiet

FORMAT='$remote_addr - [$time_local] "$request" $status "$ssl_client_verify" "$ssl_client_s_dn" "$ssl_client_i_dn" "$ssl_client_serial" "$ssl_client_v_end" "$ssl_client_fingerprint" $server_name:$server_port "$ssl_server_name" "$http_user_agent"'

if [[ ! -s $LOG ]]; then
  echo "generating $LINES lines in $LOG ..." >&2
  # 2000 client certificates, 5000 client addresses, 3 servers; one second per 50 lines.
  awk -v n="$LINES" 'BEGIN {
    split("SUCCESS SUCCESS SUCCESS SUCCESS SUCCESS SUCCESS NONE FAILED:certificate%20has%20expired FAILED:unable%20to%20get%20local%20issuer%20certificate FAILED:unsupported%20certificate%20purpose", v, " ");
    split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", mon, " ");
    t0 = 1764201600;
    for (i = 0; i < n; i++) {
      r = v[i % 10 + 1]; gsub("%20", " ", r);
      c = (i * 7919) % 2000; a = (i * 104729) % 5000;
      s = t0 + int(i / 50);
      d = int(s / 86400); sec = s % 86400;
      day = d - 20419;  # 2025-11-27 is day 20419
      st = (r == "SUCCESS" || r == "NONE") ? 200 : 400;
      printf "10.%d.%d.%d - [%02d/Nov/2025:%02d:%02d:%02d +0000] \"GET /api/v1/items/%d HTTP/1.1\" %d \"%s\" \"CN=client-%04d,OU=Devices,O=Example\\x5C, Inc.\" \"CN=Example Issuing CA 1,O=Example\" \"%X\" \"Dec %2d 12:00:00 2025 GMT\" \"%040x\" api%d.example.com:443 \"api%d.example.com\" \"client-lib/2.%d (linux)\"\n",
        a / 250, a % 250, i % 7, 27 + (day > 3 ? 3 : day), int(sec / 3600), int(sec / 60) % 60, sec % 60,
        i % 1000, st, r, c, 4096 + c, 1 + c % 28, c * 2654435761, i % 3, i % 3, c % 5
    }
  }' > "$LOG"
fi
SIZE=$(stat -c %s "$LOG")
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
N=$(wc -l < "$LOG")
cat "$LOG" > /dev/null

# Each tool runs RUNS times (default 3; other work on the machine makes single runs
# noisy): the fastest wall time, the smallest CPU time (user+sys) and the largest peak
# RSS are reported. lines/s is lines / best wall time.
RUNS=${RUNS:-3}
measure() { # name, command...
  local name=$1; shift
  local best="" cpu="" rss=0 k out wall secs c r
  for ((k = 0; k < RUNS; k++)); do
    out="$WORK/time-$k.txt"
    /usr/bin/time -v -o "$out" "$@" > "$WORK/out-${name// /_}.txt" 2>"$WORK/err.txt"
    wall=$(grep 'Elapsed (wall clock)' "$out" | awk '{print $NF}')
    secs=$(echo "$wall" | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    c=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$out")
    r=$(grep 'Maximum resident set size' "$out" | awk '{print $NF}')
    (( r > rss )) && rss=$r
    if [[ -z $best ]] || awk -v a="$secs" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$secs; fi
    if [[ -z $cpu ]] || awk -v a="$c" -v b="$cpu" 'BEGIN { exit !(a < b) }'; then cpu=$c; fi
  done
  awk -v n="$N" -v s="$best" -v c="$cpu" -v r="$rss" -v name="$name" 'BEGIN {
    printf "| %-20s | %8.2f | %12.0f | %8.2f | %14.0f | %14.1f |\n", name, s, (s > 0 ? n / s : 0), c, (c > 0 ? n / c : 0), r / 1024 }'
}

GOFMT='%h - [%d:%t %^] "%r" %s %^'
echo
echo "$N lines, $((SIZE / 1048576)) MiB, $(nproc) CPUs, $(uname -m); binary: $BIN ($(git rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo
echo "| tool                 | wall (s) |      lines/s |  CPU (s) | lines/CPU-s    | peak RSS (MiB) |"
echo "|----------------------|---------:|-------------:|---------:|---------------:|---------------:|"
measure "wc -l" wc -l "$LOG"
measure "awk c[\$9]++" awk '{c[$9]++} END {for (k in c) print k, c[k]}' "$LOG"
measure "nginx-mtls-lint" "$BIN" logs --log-format-string "$FORMAT" --format json "$LOG"
measure "nginx-mtls-lint -j1" "$BIN" logs --threads 1 --log-format-string "$FORMAT" --format json "$LOG"
RUNS=1 measure "goaccess" goaccess "$LOG" --log-format="$GOFMT" --date-format=%d/%b/%Y --time-format=%T -o "$WORK/goaccess.json"
echo
echo "nginx-mtls-lint check: $(grep -o '"lines":{[^}]*}' "$WORK/out-nginx-mtls-lint.txt" | head -1)"
echo "load average before/after: $LOAD0 / $(cut -d' ' -f1-3 /proc/loadavg)"
echo "work dir: $WORK"
