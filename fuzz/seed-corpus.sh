#!/bin/sh
# Writes the seed inputs of every fuzz target into corpus/<target>/ (gitignored):
# grammar-tests/ and sample-configs/ for parse_config, sample-logs/ (with the log_format
# each log was written with as the first line) for logs_access and logs_error, and the PEM
# files of sample-configs/tls/ plus DER, PKCS#12 and key variants made here with openssl
# for cert_loaders (PKCS#12 password: the one fuzz_targets/cert_loaders.rs uses).
set -eu
cd "$(dirname "$0")"
R=..
mkdir -p corpus/parse_config corpus/logs_access corpus/logs_error corpus/cert_loaders

find $R/grammar-tests $R/sample-configs -name '*.conf' | while read -r f; do
    cp "$f" "corpus/parse_config/$(echo "${f#../}" | tr '/' '_')"
done

F1='$remote_addr - [$time_local] "$request" $status "$ssl_client_verify" "$ssl_client_s_dn" "$ssl_client_i_dn" "$ssl_client_serial" "$ssl_client_v_end" "$ssl_client_fingerprint" $server_name:$server_port "$ssl_server_name" "$http_user_agent"'
F2='{"time":"$time_iso8601","addr":"$remote_addr","status":$status,"verify":"$ssl_client_verify","subject":"${ssl_client_s_dn}","serial":"$ssl_client_serial","not_after":"$ssl_client_v_end","server":"$server_name","port":"$server_port","sni":"$ssl_server_name","ua":"$http_user_agent"}'
F3='$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"'
F4='$remote_addr [$time_local] "$request" $status $ssl_client_verify "$ssl_client_s_dn" $ssl_client_serial'
# The first byte picks the escaping (0: default, 1: json, 2: none; high bit: render reports).
{ printf '\200%s\n' "$F1"; head -c 4000 $R/sample-logs/e2e/logs/a.log; } > corpus/logs_access/seed-a
{ printf '\201%s\n' "$F2"; head -c 4000 $R/sample-logs/e2e/logs/b.json.log; } > corpus/logs_access/seed-b
{ printf '\000%s\n' "$F3"; echo '127.0.0.1 - - [27/Nov/2026:05:49:06 +0000] "GET / HTTP/1.1" 200 12 "-" "curl/8"'; } > corpus/logs_access/seed-c
{ printf '\202%s\n' "$F4"; echo '127.0.0.1 [27/Nov/2026:05:49:06 +0000] "GET / HTTP/1.1" 400 FAILED:certificate has expired "CN=x" 01'; } > corpus/logs_access/seed-d

cp $R/sample-logs/e2e/error.log corpus/logs_error/seed-full
split -l 8 -d $R/sample-logs/e2e/error.log corpus/logs_error/seed-part

T=$R/sample-configs/tls
C=corpus/cert_loaders
cp $T/*.pem $T/*.key $T/*.crl $C/
openssl x509 -in $T/client-1-leaf.pem -outform DER -out $C/leaf.der
openssl crl -in $T/client-int-only.crl -outform DER -out $C/crl.der
openssl pkey -in $T/client-1.key -outform DER -out $C/key.der
openssl pkcs12 -export -in $T/client-1-leaf.pem -inkey $T/client-1.key -passout pass:fuzz-pw-7Hq2 -out $C/right.p12
openssl pkcs12 -export -in $T/client-1-leaf.pem -inkey $T/client-1.key -passout pass:other -out $C/wrong.p12
openssl pkcs12 -export -legacy -in $T/client-1-leaf.pem -inkey $T/client-1.key -passout pass:fuzz-pw-7Hq2 -out $C/legacy.p12 || true
openssl ecparam -genkey -name prime256v1 -out $C/ec.key
openssl genpkey -algorithm ed25519 -out $C/ed.key
