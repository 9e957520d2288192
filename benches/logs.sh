#!/usr/bin/env bash
# Benchmark of `nginx-mtls-lint logs` against wc -l, mawk and GoAccess on one generated
# access log in an mTLS log_format (the `mtls` format of tests/logs_e2e.rs), in three
# series: the plain file, the same log gzipped (`gzip -6`, gzip's default and what
# logrotate writes), and the plain file piped on stdin.
#
#   benches/logs.sh [LINES]        # default 5000000; needs goaccess, mawk and GNU time
#
# Environment:
#   RUNS=3          runs per tool (fastest wall time, smallest CPU time, largest RSS)
#   BENCH_DIR=DIR   where the logs are generated (kept and reused across runs)
#   BIN=PATH        the binary measured (default: target/release/nginx-mtls-lint, built)
#   BASELINE=PATH   also measure this binary (e.g. an older build) in the same run
#   GOACCESS_MAX=N  GoAccess runs only up to N lines (default 1000000: it takes about
#                   30 s at 5M lines); compare its lines/s across sizes
#   SERIES="plain gz stdin"   which series to run
#
# Every tool reads the same file from the page cache (a warm-up `cat` runs first); each
# is measured with /usr/bin/time -v (wall time and peak RSS; a pipeline is measured as a
# whole, `sh -c`, CPU time summed over its processes). Prints one Markdown table a series.
set -euo pipefail
cd "$(dirname "$0")/.."

LINES=${1:-5000000}
WORK=${BENCH_DIR:-$(mktemp -d)}
LOG="$WORK/access-$LINES.log"
GZ="$LOG.gz"
RUNS=${RUNS:-3}
GOACCESS_MAX=${GOACCESS_MAX:-1000000}
SERIES=${SERIES:-plain gz stdin}
BASELINE=${BASELINE:-}

for t in goaccess /usr/bin/time mawk gzip zcat; do
  command -v "$t" >/dev/null || { echo "missing: $t (apt-get install goaccess time mawk gzip)" >&2; exit 2; }
done
if [[ -z ${BIN:-} ]]; then
  BIN=target/release/nginx-mtls-lint
  [[ -n ${CARGO_TARGET_DIR:-} ]] && BIN=$CARGO_TARGET_DIR/release/nginx-mtls-lint
  cargo build --release --quiet
fi

FORMAT='$remote_addr - [$time_local] "$request" $status "$ssl_client_verify" "$ssl_client_s_dn" "$ssl_client_i_dn" "$ssl_client_serial" "$ssl_client_v_end" "$ssl_client_fingerprint" $server_name:$server_port "$ssl_server_name" "$http_user_agent"'

if [[ ! -s $LOG ]]; then
  echo "generating $LINES lines in $LOG ..." >&2
  # 2000 client certificates, 35000 client addresses (more than --limit: the client
  # table is full), 3 servers; one second per 50 lines.
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
if [[ ! -s $GZ ]]; then
  echo "compressing $LOG with gzip -6 ..." >&2
  gzip -6 -c "$LOG" > "$GZ.tmp" && mv "$GZ.tmp" "$GZ"
fi
SIZE=$(stat -c %s "$LOG")
GZSIZE=$(stat -c %s "$GZ")
N=$(wc -l < "$LOG")
cat "$LOG" "$GZ" > /dev/null

measure() { # name, command...
  local name=$1; shift
  local best="" cpu="" rss=0 k out wall secs c r
  for ((k = 0; k < RUNS; k++)); do
    out="$WORK/time-$k.txt"
    /usr/bin/time -v -o "$out" "$@" > "$WORK/out-${name//[^A-Za-z0-9._-]/_}.txt" 2>"$WORK/err.txt"
    wall=$(grep 'Elapsed (wall clock)' "$out" | awk '{print $NF}')
    secs=$(echo "$wall" | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    c=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$out")
    r=$(grep 'Maximum resident set size' "$out" | awk '{print $NF}')
    (( r > rss )) && rss=$r
    if [[ -z $best ]] || awk -v a="$secs" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$secs; fi
    if [[ -z $cpu ]] || awk -v a="$c" -v b="$cpu" 'BEGIN { exit !(a < b) }'; then cpu=$c; fi
  done
  NAME=$name awk -v n="$N" -v s="$best" -v c="$cpu" -v r="$rss" 'BEGIN { name = ENVIRON["NAME"]
    printf "| %-30s | %8.2f | %12.0f | %8.2f | %14.0f | %14.1f |\n", name, s, (s > 0 ? n / s : 0), c, (c > 0 ? n / c : 0), r / 1024 }'
}

header() {
  echo
  echo "### $1"
  echo
  echo "| tool                           | wall (s) |      lines/s |  CPU (s) | lines/CPU-s    | peak RSS (MiB) |"
  echo "|--------------------------------|---------:|-------------:|---------:|---------------:|---------------:|"
}

# Our tool, and the baseline binary when given: name suffix, binary.
ours() { echo "nginx-mtls-lint $BIN"; [[ -n $BASELINE ]] && echo "baseline $BASELINE"; return 0; }

GOFMT='%h - [%d:%t %^] "%r" %s %^'
GOARGS=(--log-format="$GOFMT" --date-format=%d/%b/%Y --time-format=%T)
AWKPROG='{c[$9]++} END {for (k in c) print k, c[k]}'
go_ok() { (( N <= GOACCESS_MAX )); }
# The peers reading FILE through a pipe from FEED (zcat or cat).
piped_peers() { # feed, file
  measure "$1 \| wc -l" sh -c '"$1" "$2" | wc -l' sh "$1" "$2"
  measure "$1 \| mawk c[\$9]++" sh -c '"$1" "$2" | mawk "$3"' sh "$1" "$2" "$AWKPROG"
}
piped_goaccess() { # feed, file
  if go_ok; then
    RUNS=1 measure "$1 \| goaccess -" bash -c '"$1" "$2" | goaccess - "${@:4}" -o "$3"' sh "$1" "$2" "$WORK/goaccess-$1.json" "${GOARGS[@]}"
  else
    printf '| %-30s | (not run: more than GOACCESS_MAX=%s lines) | | | | |\n' "$1 \| goaccess -" "$GOACCESS_MAX"
  fi
}
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
echo
echo "$N lines, $((SIZE / 1048576)) MiB plain, $((GZSIZE / 1048576)) MiB gzip -6; $(nproc) CPUs, $(uname -m); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "binary: $BIN ($(git rev-parse --short HEAD 2>/dev/null || echo '?'))${BASELINE:+; baseline: $BASELINE}; RUNS=$RUNS"

for series in $SERIES; do
  case $series in
    plain)
      header "plain file ($N lines)"
      measure "wc -l" wc -l "$LOG"
      measure "mawk c[\$9]++" mawk "$AWKPROG" "$LOG"
      while read -r tag bin; do
        measure "$tag" "$bin" logs --log-format-string "$FORMAT" --format json "$LOG"
        measure "$tag -j1" "$bin" logs --threads 1 --log-format-string "$FORMAT" --format json "$LOG"
      done < <(ours)
      if go_ok; then
        RUNS=1 measure "goaccess" goaccess "$LOG" "${GOARGS[@]}" -o "$WORK/goaccess.json"
      else
        echo "| goaccess                       | (not run: more than GOACCESS_MAX=$GOACCESS_MAX lines) | | | | |"
      fi
      ;;
    gz)
      header ".gz file, gzip -6 ($N lines)"
      piped_peers zcat "$GZ"
      while read -r tag bin; do
        measure "$tag" "$bin" logs --log-format-string "$FORMAT" --format json "$GZ"
        measure "$tag -j1" "$bin" logs --threads 1 --log-format-string "$FORMAT" --format json "$GZ"
      done < <(ours)
      piped_goaccess zcat "$GZ"
      ;;
    stdin)
      header "stdin: cat FILE | tool ($N lines)"
      piped_peers cat "$LOG"
      while read -r tag bin; do
        measure "cat \| $tag -" sh -c 'cat "$1" | "$2" logs --log-format-string "$3" --format json -' sh "$LOG" "$bin" "$FORMAT"
        measure "cat \| $tag -j1 -" sh -c 'cat "$1" | "$2" logs --threads 1 --log-format-string "$3" --format json -' sh "$LOG" "$bin" "$FORMAT"
      done < <(ours)
      piped_goaccess cat "$LOG"
      ;;
    *) echo "unknown series: $series" >&2; exit 2 ;;
  esac
done
echo
echo "nginx-mtls-lint check: $(grep -o '"lines":{[^}]*}' "$WORK/out-nginx-mtls-lint.txt" 2>/dev/null | head -1)"
echo "load average before/after: $LOAD0 / $(cut -d' ' -f1-3 /proc/loadavg)"
echo "work dir: $WORK"
