#!/usr/bin/env bash
# Regenerates sample-configs/tls/: the certificates, keys and CRLs the sample
# configurations use. Dates are fixed (not relative to today) so the samples never rot:
# valid material runs from 2025-01-01 to 2125-01-01; the "expired" CA and CRL ended in
# 2021. Needs the openssl CLI (3.0 or later). Keys here are samples: never use them.
set -euo pipefail
cd "$(dirname "$0")"
out=tls
rm -rf "$out" && mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

START=20250101000000Z
END=21250101000000Z

# A minimal `openssl ca` set-up, so start and end dates can be set exactly.
ca_setup() { # dir
  mkdir -p "$1/new"; : > "$1/index.txt"; echo 1000 > "$1/serial"; echo 1000 > "$1/crlnumber"
  cat > "$1/ca.cnf" <<CNF
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = $1
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
crlnumber = \$dir/crlnumber
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[ policy_any ]
commonName = supplied
organizationName = optional
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ v3_client ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ v3_server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, DNS:api.example.com, DNS:www.example.com, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
CNF
}

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# self-signed root: name cn start end
root() {
  local d="$work/$1"; ca_setup "$d"; key "$d/key.pem"
  openssl req -new -key "$d/key.pem" -subj "/O=Example/CN=$2" -out "$d/req.pem"
  openssl ca -batch -config "$d/ca.cnf" -selfsign -keyfile "$d/key.pem" -in "$d/req.pem" \
    -startdate "$3" -enddate "$4" -extensions v3_ca -out "$d/cert.pem" -notext 2>/dev/null
}

# issued certificate: issuer name cn extensions [start end]
issue() {
  local i="$work/$1" d="$work/$2"; mkdir -p "$d"; key "$d/key.pem"
  [ "$4" = v3_ca ] && ca_setup "$d"
  openssl req -new -key "$d/key.pem" -subj "/O=Example/CN=$3" -out "$d/req.pem"
  openssl ca -batch -config "$i/ca.cnf" -cert "$i/cert.pem" -keyfile "$i/key.pem" -in "$d/req.pem" \
    -startdate "${5:-$START}" -enddate "${6:-$END}" -extensions "$4" -out "$d/cert.pem" -notext 2>/dev/null
}

# crl: ca out lastupdate nextupdate
crl() {
  local d="$work/$1"
  openssl ca -batch -config "$d/ca.cnf" -cert "$d/cert.pem" -keyfile "$d/key.pem" -gencrl \
    -crl_lastupdate "$3" -crl_nextupdate "$4" -out "$2" 2>/dev/null
}

root client-root "Example Client Root CA" "$START" "$END"
issue client-root client-int "Example Client Intermediate CA" v3_ca
issue client-int client "client-1.example.com" v3_client
root server-root "Example Server Root CA" "$START" "$END"
issue server-root server "api.example.com" v3_server
root old-root "Example Retired Client CA" 20200101000000Z 20210101000000Z
root rogue-root "Rogue CA" "$START" "$END"
issue rogue-root rogue "client-1.example.com" v3_client
issue client-int expired "expired-client.example.com" v3_client 20200101000000Z 20210101000000Z
issue client-int future "future-client.example.com" v3_client 21000101000000Z "$END"
issue client-int serverauth "serverauth-client.example.com" v3_server
issue client-int revoked "revoked-client.example.com" v3_client

cp "$work/client-root/cert.pem" "$out/client-root.pem"
cp "$work/client-int/cert.pem" "$out/client-intermediate.pem"
cat "$work/client-root/cert.pem" "$work/client-int/cert.pem" > "$out/client-ca-bundle.pem"
cat "$work/client/cert.pem" "$work/client-int/cert.pem" > "$out/client-1.pem"
cp "$work/client/key.pem" "$out/client-1.key"
cat "$work/server/cert.pem" "$work/server-root/cert.pem" > "$out/server.pem"
cp "$work/server/key.pem" "$out/server.key"
cp "$work/server-root/cert.pem" "$out/server-root.pem"
cp "$work/old-root/cert.pem" "$out/retired-client-ca.pem"
# The client certificate itself, wrongly used as a CA file.
cp "$work/client/cert.pem" "$out/client-1-leaf.pem"
# A CA bundle someone pasted the CA key into.
cat "$work/client-root/cert.pem" "$work/client-root/key.pem" > "$out/client-root-with-key.pem"

openssl ca -batch -config "$work/client-int/ca.cnf" -cert "$work/client-int/cert.pem" \
  -keyfile "$work/client-int/key.pem" -revoke "$work/revoked/cert.pem" -crl_reason keyCompromise 2>/dev/null
crl client-root "$work/root.crl" 20250101000000Z 21250101000000Z
crl client-int "$work/int.crl" 20250101000000Z 21250101000000Z
crl client-root "$work/root-expired.crl" 20200101000000Z 20210101000000Z
cat "$work/root.crl" "$work/int.crl" > "$out/client-crls.pem"
cp "$work/int.crl" "$out/client-int-only.crl"
cat "$work/root-expired.crl" "$work/int.crl" > "$out/client-crls-expired.pem"
# Client certificates for the failure classes of `verify` (each sent with the intermediate).
for c in rogue expired future serverauth revoked; do
  cp "$work/$c/key.pem" "$out/$c-client.key"
done
cat "$work/rogue/cert.pem" "$work/rogue-root/cert.pem" > "$out/rogue-client.pem"
for c in expired future serverauth revoked; do
  cat "$work/$c/cert.pem" "$work/client-int/cert.pem" > "$out/$c-client.pem"
done
echo "wrote $(ls "$out" | wc -l) files to $(pwd)/$out"
