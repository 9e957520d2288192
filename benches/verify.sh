#!/usr/bin/env bash
# `verify` benchmark: a generated configuration with many mTLS servers (mixed trust
# files, depths and CRLs), and one client chain; nginx-mtls-lint verify timed against
# its peer `openssl verify` on the same certificate, in the same run.
#   bash benches/verify.sh [SERVERS] [RUNS]     (default 1000 servers, best of 10 runs)
# Needs openssl and python3. Prints a Markdown table (BENCHMARKS.md, section verify).
set -euo pipefail
cd "$(dirname "$0")/.."
servers=${1:-1000}
runs=${2:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release -q
bin=$PWD/target/release/nginx-mtls-lint

# A small PKI: root -> int -> client (clientAuth), a server certificate, CRLs.
cd "$work"
ec() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -subj "/O=bench/CN=$1" "${@:2}" 2>/dev/null; }
ec root -x509 -days 3650 -out root.crt -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
ec int -out int.csr
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' > ca.ext
openssl x509 -req -in int.csr -CA root.crt -CAkey root.key -CAcreateserial -days 3650 -extfile ca.ext -out int.crt 2>/dev/null
ec client -out client.csr
printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n' > leaf.ext
openssl x509 -req -in client.csr -CA int.crt -CAkey int.key -CAcreateserial -days 365 -extfile leaf.ext -out client.crt 2>/dev/null
ec server -x509 -days 365 -out server.crt
cat client.crt int.crt > client-chain.pem
cat root.crt int.crt > bundle.pem
# CRLs with `openssl ca -gencrl` for root and int.
for ca in root int; do
  mkdir -p "db-$ca"; : > "db-$ca/index.txt"; echo 01 > "db-$ca/crlnumber"
  printf '[ca]\ndefault_ca=c\n[c]\ndatabase=db-%s/index.txt\ncrlnumber=db-%s/crlnumber\ndefault_md=sha256\ndefault_crl_days=30\n' "$ca" "$ca" > "$ca.cnf"
  openssl ca -gencrl -config "$ca.cnf" -keyfile "$ca.key" -cert "$ca.crt" -out "$ca.crl" 2>/dev/null
done
cat root.crl int.crl > crl.pem

python3 - "$servers" > bench.conf <<'PY'
import sys
n = int(sys.argv[1])
print("events {}\nhttp {\n  ssl_certificate server.crt;\n  ssl_certificate_key server.key;")
for i in range(n):
    trust = ["ssl_client_certificate root.crt;",
             "ssl_client_certificate bundle.pem;",
             "ssl_client_certificate root.crt; ssl_crl crl.pem;",
             "ssl_client_certificate root.crt; ssl_trusted_certificate int.crt; ssl_verify_depth 2;"][i % 4]
    mode = ["on", "optional", "optional_no_ca"][i % 3]
    print(f"  server {{ listen 127.0.0.1:{20000 + i % 50} ssl; server_name s{i}.bench; ssl_verify_client {mode}; {trust} location / {{ return 200; }} }}")
print("}")
PY
# The same servers, ten of them: what a call costs when the configuration is small.
{ head -4 bench.conf; grep -m 10 '^  server {' bench.conf; echo '}'; } > small.conf

# Best wall time of RUNS runs in milliseconds, and the largest peak RSS in MiB (GNU
# time measures it: a child of Python would count Python's own memory).
best() {
  python3 - "$runs" "$@" <<'PY'
import subprocess, sys, tempfile, time
n = int(sys.argv[1]); cmd = sys.argv[2:]
times = []; rss = 0
with tempfile.NamedTemporaryFile() as out:
    for _ in range(n):
        t0 = time.perf_counter()
        r = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name] + cmd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
        if r.returncode not in (0, 1):
            sys.exit(f"{cmd[0]} failed: {r.returncode}")
        rss = max(rss, int(open(out.name).read().split()[-1]))
print(f"{min(times) * 1000:.1f} | {rss / 1024:.1f}")
PY
}
# Many `openssl verify` runs (one per server), as a script would do it.
cat > peer-all.sh <<SH
for i in \$(seq 1 $servers); do openssl verify -CAfile bundle.pem -CRLfile crl.pem -untrusted int.crt client.crt >/dev/null; done
SH

read -r results verdicts < <("$bin" verify --config bench.conf --cert client-chain.pem --format json | python3 -c '
import collections, json, sys
r = json.load(sys.stdin)["results"]
c = collections.Counter(x["ssl_client_verify"] for x in r)
print(len(r), ", ".join(f"{v}: {n}" for v, n in sorted(c.items())))')
peer_says=$(openssl verify -crl_check_all -CAfile root.crt -CRLfile crl.pem -untrusted int.crt client.crt 2>&1 | tail -1)
one_tool=$(best "$bin" verify --config bench.conf --listen 127.0.0.1:20000 --sni s0.bench --cert client-chain.pem)
one_small=$(best "$bin" verify --config small.conf --listen 127.0.0.1:20000 --sni s0.bench --cert client-chain.pem)
one_json=$(best "$bin" verify --config bench.conf --listen 127.0.0.1:20000 --sni s0.bench --cert client-chain.pem --format json)
all_tool=$(best "$bin" verify --config bench.conf --cert client-chain.pem --format json)
one_peer=$(best openssl verify -CAfile root.crt -untrusted int.crt client.crt)
one_peer_crl=$(best openssl verify -crl_check_all -CAfile root.crt -CRLfile crl.pem -untrusted int.crt client.crt)
all_peer=$(runs=3 best bash peer-all.sh)

cat <<MD
Config: $servers mTLS servers on 50 sockets (127.0.0.1:20000-20049), 4 trust layouts
(root; root+int bundle; root + CRLs for root and int; root + ssl_trusted_certificate int,
depth 2), 3 verify modes. Client: EC P-256 leaf + intermediate (PEM). $(nproc) CPU(s),
$(openssl version | cut -d' ' -f1-2). Best of $runs runs (3 for the last row), milliseconds,
wall clock including process start (GNU time's own start, about 0.5 ms, included). Same answer from both: the tool's
\`ssl_client_verify\` over all servers: $verdicts; \`openssl verify\` says \`$peer_says\`.

| what | command | ms | peak RSS (MiB) |
|---|---|---|---|
| tool, one server | \`verify --listen 127.0.0.1:20000 --sni s0.bench --cert client-chain.pem\` | $one_tool |
| tool, one server of a 10-server configuration | same with \`--config small.conf\` | $one_small |
| tool, one server, JSON | same with \`--format json\` | $one_json |
| tool, every server ($results results) | \`verify --cert client-chain.pem --format json\` | $all_tool |
| peer, one chain | \`openssl verify -CAfile root.crt -untrusted int.crt client.crt\` | $one_peer |
| peer, one chain with CRLs | \`openssl verify -crl_check_all -CAfile root.crt -CRLfile crl.pem -untrusted int.crt client.crt\` | $one_peer_crl |
| peer, one run per server ($servers) | \`for each server: openssl verify ...\` | $all_peer |
MD
