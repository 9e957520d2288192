#!/usr/bin/env bash
# Probe benchmark (issue #17): one local nginx (127.0.0.1 only) with N mutual-TLS server
# names on one socket; each name probed in turn by `nginx-mtls-lint probe`, by
# `openssl s_client` (one TLS 1.3 handshake that prints the CA names), and, for the first
# few names, by testssl.sh (`-S`, whose server defaults include client authentication)
# when it is installed. Prints a Markdown table of the time per target.
#   bash benches/probe.sh [NAMES] [TESTSSL_NAMES]
set -euo pipefail
cd "$(dirname "$0")/.."
names=${1:-200}
testssl_names=${2:-5}
work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ] && [ -e "/proc/$pid" ]; then kill -QUIT "$pid"; fi
  rm -rf "$work"
}
trap cleanup EXIT
cargo build --release -q
bin=$PWD/target/release/nginx-mtls-lint
nginx=$(command -v nginx || echo /usr/sbin/nginx)
cd "$work"
q() { "$@" >/dev/null 2>&1; }
q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -subj /CN=bench-client-ca -days 30
q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.pem -subj /CN=bench-server -days 30
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
{
  echo "worker_processes 1; pid $work/nginx.pid; error_log $work/error.log; events {}"
  echo "http { access_log off; client_body_temp_path $work/t; proxy_temp_path $work/t; fastcgi_temp_path $work/t; uwsgi_temp_path $work/t; scgi_temp_path $work/t;"
  echo "ssl_certificate server.pem; ssl_certificate_key server.key; ssl_client_certificate ca.pem; ssl_verify_client on;"
  for i in $(seq 1 "$names"); do
    echo "server { listen 127.0.0.1:$port ssl; server_name n$i.bench.test; location / { return 200; } }"
  done
  echo "}"
} > nginx.conf
if [ "$(id -u)" = 0 ]; then sed -i '1s/^/user root root; /' nginx.conf; fi
"$nginx" -p "$work" -c "$work/nginx.conf"
for _ in $(seq 1 100); do [ -s nginx.pid ] && break; sleep 0.05; done
pid=$(cat nginx.pid)

time_loop() {  # time_loop COUNT CMD... (NAME is replaced per target)
  local count=$1; shift
  python3 - "$count" "$@" <<'PY'
import subprocess, sys, time
n = int(sys.argv[1]); cmd = sys.argv[2:]
t = time.perf_counter()
for i in range(1, n + 1):
    name = f"n{i}.bench.test"
    subprocess.run([a.replace("NAME", name) for a in cmd], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
print(f"{(time.perf_counter() - t) / n * 1000:.1f}")
PY
}
ours=$(time_loop "$names" "$bin" probe --format json --connect "127.0.0.1:$port" --sni NAME "NAME:$port")
ssl=$(time_loop "$names" openssl s_client -connect "127.0.0.1:$port" -servername NAME)
if command -v testssl.sh >/dev/null 2>&1 || command -v testssl >/dev/null 2>&1; then
  ts=$(command -v testssl.sh || command -v testssl)
  testssl=$(time_loop "$testssl_names" "$ts" --quiet --color 0 --warnings off -S --ip 127.0.0.1 "https://NAME:$port")
else
  testssl=""
fi
echo "nginx $("$nginx" -v 2>&1 | sed 's/.*nginx\///'), $names server names on 127.0.0.1:$port, $(nproc) cores, $(date -u +%Y-%m-%d)"
echo
echo "| client | targets | ms per target | what one run does |"
echo "|---|---|---|---|"
echo "| \`nginx-mtls-lint probe --format json\` | $names | $ours | TLS 1.3 and TLS 1.2 handshakes, each with a request without a certificate; CA names, chain, verdict |"
echo "| \`openssl s_client -servername\` | $names | $ssl | one TLS 1.3 handshake, prints the CA names |"
if [ -n "$testssl" ]; then
  echo "| \`testssl.sh -S\` ($($ts --version 2>/dev/null | grep -o 'testssl.sh [^ ]*' | head -1 || echo testssl.sh)) | $testssl_names | $testssl | server defaults, client authentication among them |"
fi
