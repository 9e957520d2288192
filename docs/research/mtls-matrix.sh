#!/usr/bin/env bash
# mtls-matrix.sh - reproduce the nginx mutual-TLS behaviour matrix documented in
# docs/nginx-behaviour.md.  Needs: nginx (with http_ssl_module), openssl CLI, curl.
#
# Everything happens below a fresh temp dir; only nginx processes started by this
# script are stopped (by the PID in their own pid file).  Only 127.0.0.1 is used.
#
# Usage:  bash docs/research/mtls-matrix.sh [OUTDIR]
#   OUTDIR (optional) receives results.tsv, the nginx -t transcripts and logs.
#   KEEP=1 keeps the temp dir.  BASEPORT (default 18400) sets the first port used.
set -u
export LC_ALL=C
OUT=${1:-}
W=$(mktemp -d /tmp/mtls-matrix.XXXXXX)
PKI=$W/pki
BASEPORT=${BASEPORT:-18400}
STARTED_PIDFILES=()

cleanup() {
  local pf
  for pf in "${STARTED_PIDFILES[@]}"; do
    [ -s "$pf" ] && kill "$(cat "$pf")" 2>/dev/null
  done
  sleep 0.5
  if [ -n "$OUT" ]; then
    mkdir -p "$OUT"
    cp -r "$W/results" "$OUT/" 2>/dev/null
  fi
  [ "${KEEP:-0}" = 1 ] && echo "kept $W" >&2 || rm -rf "$W"
}
trap cleanup EXIT

mkdir -p "$PKI" "$W/results"
R=$W/results

##########################################################################
# PKI (openssl ca, so that notBefore/notAfter and CRL dates can be forced)
##########################################################################
cat > "$PKI/openssl.cnf" <<'CNF'
[ ca ]
default_ca = CA_default
[ CA_default ]
dir            = $ENV::CADIR
database       = $dir/index.txt
new_certs_dir  = $dir/newcerts
serial         = $dir/serial
crlnumber      = $dir/crlnumber
certificate    = $ENV::CACERT
private_key    = $ENV::CAKEY
default_md     = sha256
default_days   = 3650
default_crl_days = 30
policy         = policy_any
unique_subject = no
copy_extensions = none
email_in_dn    = no
[ policy_any ]
organizationName = optional
commonName       = supplied
[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
CN = dummy
[ crl_ext ]
authorityKeyIdentifier = keyid:always
# --- certificate profiles ---
[ v3_ca ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
[ v3_ca_eku_server ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign, digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
[ v3_ca_eku_client ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
[ v3_ca_false ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
[ v3_ca_nobc ]
keyUsage               = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
[ v3_ca_pathlen0 ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
[ v3_client ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
[ v3_client_server_eku ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
[ v3_client_noeku ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
[ v3_server ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:localhost, DNS:a.test, DNS:b.test, IP:127.0.0.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
CNF

export CADIR=$PKI CACERT=/dev/null CAKEY=/dev/null   # referenced by openssl.cnf
ts() { date -u -d "$1" +%Y%m%d%H%M%SZ; }   # GeneralizedTime, accepted by openssl ca
NOW_M1=$(ts '-1 day'); NOW_P10Y=$(ts '+10 years')
PAST_A=20200101000000Z; PAST_B=20210101000000Z          # expired window
FUT_A=$(ts '+5 years'); FUT_B=$(ts '+10 years')          # not-yet-valid window

# dbinit NAME : per-issuer openssl ca database
dbinit() { mkdir -p "$PKI/db.$1/newcerts"; : > "$PKI/db.$1/index.txt"; echo 1000 > "$PKI/db.$1/serial"; echo 1000 > "$PKI/db.$1/crlnumber"; }

# mk NAME ISSUER(self|name) EXT START END  -> $PKI/NAME.crt, NAME.key
mk() {
  local n=$1 iss=$2 ext=$3 start=$4 end=$5
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI/$n.key" 2>/dev/null
  openssl req -new -config "$PKI/openssl.cnf" -key "$PKI/$n.key" -subj "/O=mtls-research/CN=$n" -out "$PKI/$n.csr"
  if [ "$iss" = self ]; then
    dbinit "$n"
    CADIR=$PKI/db.$n CACERT=/dev/null CAKEY=$PKI/$n.key openssl ca -batch -notext -config "$PKI/openssl.cnf" \
      -selfsign -keyfile "$PKI/$n.key" -extensions "$ext" -startdate "$start" -enddate "$end" \
      -in "$PKI/$n.csr" -out "$PKI/$n.crt" 2>"$PKI/$n.err" || { cat "$PKI/$n.err"; exit 1; }
  else
    CADIR=$PKI/db.$iss CACERT=$PKI/$iss.crt CAKEY=$PKI/$iss.key openssl ca -batch -notext -config "$PKI/openssl.cnf" \
      -extensions "$ext" -startdate "$start" -enddate "$end" \
      -in "$PKI/$n.csr" -out "$PKI/$n.crt" 2>"$PKI/$n.err" || { cat "$PKI/$n.err"; exit 1; }
  fi
  case $ext in v3_ca*) dbinit "$n";; esac
}
# revoke ISSUER CERTNAME
revoke() { CADIR=$PKI/db.$1 CACERT=$PKI/$1.crt CAKEY=$PKI/$1.key openssl ca -batch -config "$PKI/openssl.cnf" -revoke "$PKI/$2.crt" 2>/dev/null; }
# gencrl ISSUER OUT [LASTUPDATE NEXTUPDATE]
gencrl() {
  local extra=()
  [ $# -ge 4 ] && extra=(-crl_lastupdate "$3" -crl_nextupdate "$4")
  CADIR=$PKI/db.$1 CACERT=$PKI/$1.crt CAKEY=$PKI/$1.key openssl ca -batch -config "$PKI/openssl.cnf" \
    -gencrl -crlexts crl_ext "${extra[@]}" -out "$2" 2>/dev/null
}
cat_pem() { cat "$@"; }

V="$NOW_M1 $NOW_P10Y"
mk root        self  v3_ca $V                 # good root
mk int         root  v3_ca $V                 # good intermediate
mk int2        int   v3_ca $V                 # second-level intermediate
mk server      root  v3_server $V
mk leaf        int   v3_client $V             # good client leaf
mk leaf_noeku  int   v3_client_noeku $V
mk leaf_root   root  v3_client $V             # root -> leaf
mk leaf_int2   int2  v3_client $V             # root -> int -> int2 -> leaf
mk leaf_exp    int   v3_client $PAST_A $PAST_B
mk leaf_nyv    int   v3_client $FUT_A $FUT_B
mk leaf_srv    int   v3_client_server_eku $V  # EKU serverAuth only
mk leaf_rev    int   v3_client $V             # will be revoked by int
mk int_rev     root  v3_ca $V                 # intermediate revoked by root
mk leaf_intrev int_rev v3_client $V
mk int_exp     root  v3_ca $PAST_A $PAST_B    # expired intermediate
mk leaf_intexp int_exp v3_client $V
mk int_srv     root  v3_ca_eku_server $V      # intermediate EKU serverAuth
mk leaf_intsrv int_srv v3_client $V
mk int_cli     root  v3_ca_eku_client $V      # intermediate EKU clientAuth (control)
mk leaf_intcli int_cli v3_client $V
mk int_caf     root  v3_ca_false $V           # "intermediate" with CA:FALSE
mk leaf_intcaf int_caf v3_client $V
mk int_nobc    root  v3_ca_nobc $V            # "intermediate" without basicConstraints
mk leaf_intnobc int_nobc v3_client $V
mk rootexp     self  v3_ca $PAST_A $PAST_B    # expired root
mk int_rexp    rootexp v3_ca $V
mk leaf_rexp   int_rexp v3_client $V
mk unk         self  v3_ca $V                 # unknown CA
mk leaf_unk    unk   v3_client $V
mk leaf_unkexp unk   v3_client $PAST_A $PAST_B   # expired AND unknown issuer
mk leaf_exp_srv int  v3_client_server_eku $PAST_A $PAST_B  # expired AND wrong EKU
mk selfleaf    self  v3_client $V             # self-signed leaf (not a CA)
mk selfleaf_exp self v3_client $PAST_A $PAST_B # self-signed leaf, expired

mk leaf_rev_exp int  v3_client $PAST_A $PAST_B  # revoked AND expired
mk leaf_intexp_nyv int_exp v3_client $FUT_A $FUT_B  # expired int AND not-yet-valid leaf
mk int_pl0     root  v3_ca_pathlen0 $V        # pathlen:0 intermediate
mk int2_pl     int_pl0 v3_ca $V               # CA below a pathlen:0 CA
mk leaf_pl     int2_pl v3_client $V
# trust-store copies with OpenSSL auxiliary trust settings (TRUSTED CERTIFICATE PEM)
openssl x509 -in "$PKI/root.crt" -addtrust serverAuth -trustout -out "$PKI/root_trust_serverauth.pem"
openssl x509 -in "$PKI/root.crt" -addreject clientAuth -trustout -out "$PKI/root_reject_clientauth.pem"

revoke int leaf_rev
revoke int leaf_rev_exp
revoke root int_rev
gencrl int  "$PKI/int.crl"
gencrl root "$PKI/root.crl"
gencrl int  "$PKI/int_expired.crl" 20200101000000Z 20210101000000Z
gencrl int_rev "$PKI/int_rev.crl"
cat "$PKI/int.crl" "$PKI/root.crl" "$PKI/int_rev.crl" > "$PKI/crl_all.pem"
cat "$PKI/int_expired.crl" "$PKI/root.crl" > "$PKI/crl_int_expired.pem"
cat "$PKI/int.crl" > "$PKI/crl_int_only.pem"
cat "$PKI/root.crl" > "$PKI/crl_root_only.pem"
cat "$PKI/root.crt" "$PKI/int.crl" "$PKI/root.crl" > "$PKI/crl_with_root_cert.pem"   # a CERTIFICATE inside the ssl_crl file

# client credential bundles: <name>.pem = leaf [+ chain]
cl() { local out=$1; shift; local f; : > "$PKI/c_$out.pem"; for f in "$@"; do cat "$PKI/$f.crt" >> "$PKI/c_$out.pem"; done; }
cat "$PKI/root.crt" "$PKI/int.crt" > "$PKI/root+int.pem"
cat "$PKI/root.crt" "$PKI/int.crt" "$PKI/int2.crt" > "$PKI/root+int+int2.pem"

##########################################################################
# nginx helpers
##########################################################################
# common http-level lines: every temp path and log inside the instance dir
http_common() { # $1 = instance dir
  cat <<HC
    client_body_temp_path $1/tmp/body;
    proxy_temp_path       $1/tmp/proxy;
    fastcgi_temp_path     $1/tmp/fastcgi;
    uwsgi_temp_path       $1/tmp/uwsgi;
    scgi_temp_path        $1/tmp/scgi;
    log_format mtls 'case=\$arg_case port=\$server_port status=\$status verify="\$ssl_client_verify" s_dn="\$ssl_client_s_dn" i_dn="\$ssl_client_i_dn" sni="\$ssl_server_name" host="\$host" server_name="\$server_name" proto=\$ssl_protocol';
    access_log $1/access.log mtls;
HC
}
# start_nginx DIR : nginx.conf must already be in DIR
start_nginx() {
  mkdir -p "$1/tmp" "$1/logs"
  if ! nginx -p "$1" -c "$1/nginx.conf" -t >"$1/t.out" 2>&1; then echo "nginx -t failed for $1:" >&2; cat "$1/t.out" >&2; return 1; fi
  nginx -p "$1" -c "$1/nginx.conf" || return 1
  STARTED_PIDFILES+=("$1/nginx.pid")
  sleep 0.7
}
stop_nginx() { [ -s "$1/nginx.pid" ] && kill "$(cat "$1/nginx.pid")"; sleep 0.5; }
main_head() { # $1 dir
  cat <<MH
pid $1/nginx.pid;
error_log $1/error.log info;
worker_processes 1;
daemon on;
user root;
events { worker_connections 256; }
http {
$(http_common "$1")
MH
}

##########################################################################
# 1+2. verification matrix
##########################################################################
M=$W/matrix; mkdir -p "$M"
MODES=(on optional optional_no_ca)
PROFILES=(); declare -A PDIR
addp() { PROFILES+=("$1"); PDIR[$1]=$2; }
addp root          "ssl_client_certificate $PKI/root.crt;"
addp bundle        "ssl_client_certificate $PKI/root+int.pem;"
addp trusted_int   "ssl_client_certificate $PKI/root.crt; ssl_trusted_certificate $PKI/int.crt;"
addp intonly       "ssl_client_certificate $PKI/int.crt;"
addp rootexp       "ssl_client_certificate $PKI/rootexp.crt;"
addp crl_all       "ssl_client_certificate $PKI/root.crt; ssl_crl $PKI/crl_all.pem;"
addp crl_int_only  "ssl_client_certificate $PKI/root.crt; ssl_crl $PKI/crl_int_only.pem;"
addp crl_root_only "ssl_client_certificate $PKI/root.crt; ssl_crl $PKI/crl_root_only.pem;"
addp crl_int_expired "ssl_client_certificate $PKI/root.crt; ssl_crl $PKI/crl_int_expired.pem;"
for d in 0 1 2 3; do addp depth$d "ssl_client_certificate $PKI/root.crt; ssl_verify_depth $d;"; done
for d in 0 1 2; do addp bundle_depth$d "ssl_client_certificate $PKI/root+int.pem; ssl_verify_depth $d;"; done
for d in 0 1 2 3; do addp bundle3_depth$d "ssl_client_certificate $PKI/root+int+int2.pem; ssl_verify_depth $d;"; done
addp names_unk_trusted_root "ssl_client_certificate $PKI/unk.crt; ssl_trusted_certificate $PKI/root.crt;"
addp crl_file_has_root "ssl_client_certificate $PKI/unk.crt; ssl_crl $PKI/crl_with_root_cert.pem;"
addp root_tls13   "ssl_client_certificate $PKI/root.crt; ssl_protocols TLSv1.2 TLSv1.3;"
addp auxtrust_server "ssl_client_certificate $PKI/unk.crt; ssl_trusted_certificate $PKI/root_trust_serverauth.pem;"
addp auxreject_client "ssl_client_certificate $PKI/unk.crt; ssl_trusted_certificate $PKI/root_reject_clientauth.pem;"

declare -A PORT
{
  main_head "$M"
  i=0
  for p in "${PROFILES[@]}"; do
    for m in "${MODES[@]}"; do
      port=$((BASEPORT + i)); PORT[$p.$m]=$port; i=$((i+1))
      cat <<SB
    server {
        listen 127.0.0.1:$port ssl;
        server_name localhost;
        ssl_certificate     $PKI/server.crt;
        ssl_certificate_key $PKI/server.key;
        ssl_verify_client $m;
        ${PDIR[$p]}
        location / { return 200 "verify=\$ssl_client_verify\n"; }
    }
SB
    done
  done
  echo "}"
} > "$M/nginx.conf"
start_nginx "$M" || exit 1

# client bundles (leaf first, then the chain the client sends)
cl good leaf int;           cl leafonly leaf
cl unk leaf_unk;            cl unk_chain leaf_unk unk
cl exp leaf_exp int;        cl nyv leaf_nyv int
cl intexp leaf_intexp int_exp
cl rexp leaf_rexp int_rexp
cl self selfleaf;           cl self_exp selfleaf_exp
cl srv leaf_srv int;        cl noeku leaf_noeku int
cl intsrv leaf_intsrv int_srv; cl intcli leaf_intcli int_cli
cl intcaf leaf_intcaf int_caf; cl intnobc leaf_intnobc int_nobc
cl rev leaf_rev int;        cl intrev leaf_intrev int_rev
cl unkexp leaf_unkexp;      cl expsrv leaf_exp_srv int
cl d1 leaf_root;            cl d2 leaf int;   cl d3 leaf_int2 int2 int
cl d3_leafonly leaf_int2
cl good_root leaf int root; cl revexp leaf_rev_exp int
cl intexp_nyv leaf_intexp_nyv int_exp; cl pl leaf_pl int2_pl int_pl0

# case list: ID PROFILE CLIENTBUNDLE(or -) KEYNAME [curl extra]
CASES=$(cat <<'CL'
good              root           good     leaf
absent            root           -        -
unknown_ca        root           unk      leaf_unk
unknown_ca_chain  root           unk_chain leaf_unk
expired_leaf      root           exp      leaf_exp
notyet_leaf       root           nyv      leaf_nyv
expired_int       root           intexp   leaf_intexp
expired_root      rootexp        rexp     leaf_rexp
selfsigned_leaf   root           self     selfleaf
selfsigned_leaf_expired root     self_exp selfleaf_exp
leaf_eku_server   root           srv      leaf_srv
leaf_no_eku       root           noeku    leaf_noeku
int_eku_server    root           intsrv   leaf_intsrv
int_eku_client    root           intcli   leaf_intcli
int_ca_false      root           intcaf   leaf_intcaf
int_no_bc         root           intnobc  leaf_intnobc
multi_expired_unknown root       unkexp   leaf_unkexp
multi_expired_eku root           expsrv   leaf_exp_srv
crl_good          crl_all        good     leaf
crl_revoked_leaf  crl_all        rev      leaf_rev
crl_revoked_int   crl_all        intrev   leaf_intrev
crl_expired_int_crl crl_int_expired good  leaf
crl_int_only      crl_int_only   good     leaf
crl_root_only     crl_root_only  good     leaf
crl_int_only_rootleaf crl_int_only d1     leaf_root
crl_root_only_rootleaf crl_root_only d1   leaf_root
chain_int_nowhere root           leafonly leaf
chain_int_in_client_cert bundle  leafonly leaf
chain_int_in_trusted trusted_int leafonly leaf
chain_full_bundle bundle         good     leaf
partial_leafonly  intonly        leafonly leaf
partial_leaf_int  intonly        good     leaf
default_depth_len1 root          d1       leaf_root
default_depth_len2 root          d2       leaf
default_depth_len3 root          d3       leaf_int2
depth0_len1       depth0         d1       leaf_root
depth0_len2       depth0         d2       leaf
depth0_len3       depth0         d3       leaf_int2
depth1_len1       depth1         d1       leaf_root
depth1_len2       depth1         d2       leaf
depth1_len3       depth1         d3       leaf_int2
depth2_len1       depth2         d1       leaf_root
depth2_len2       depth2         d2       leaf
depth2_len3       depth2         d3       leaf_int2
depth3_len1       depth3         d1       leaf_root
depth3_len2       depth3         d2       leaf
depth3_len3       depth3         d3       leaf_int2
bundle_depth0_leafonly bundle_depth0 leafonly leaf
bundle_depth1_leafonly bundle_depth1 leafonly leaf
bundle3_depth0_len3 bundle3_depth0 d3_leafonly leaf_int2
bundle3_depth1_len3 bundle3_depth1 d3_leafonly leaf_int2
bundle3_depth2_len3 bundle3_depth2 d3_leafonly leaf_int2
bundle3_depth3_len3 bundle3_depth3 d3_leafonly leaf_int2
good_chain_incl_root root        good_root leaf
multi_revoked_expired crl_all    revexp   leaf_rev_exp
multi_int_expired_leaf_notyet root intexp_nyv leaf_intexp_nyv
pathlen0_exceeded root           pl       leaf_pl
auxtrust_serverauth_only auxtrust_server good leaf
auxreject_clientauth auxreject_client good leaf
trusted_only_root names_unk_trusted_root good leaf
crl_file_cert_is_trusted crl_file_has_root good leaf
good_tls13        root_tls13     good     leaf   --tlsv1.3
absent_tls13      root_tls13     -        -      --tlsv1.3
unknown_ca_tls13  root_tls13     unk      leaf_unk --tlsv1.3
expired_leaf_tls13 root_tls13    exp      leaf_exp --tlsv1.3
good_tls12        root           good     leaf   --tls-max 1.2
unknown_ca_tls12  root           unk      leaf_unk --tls-max 1.2
CL
)

printf 'case\tprofile\tmode\thttp\tbody\tssl_client_verify\ts_dn\ti_dn\terror_log\tproto\n' > "$R/matrix.tsv"
while read -r id prof cb key extra; do
  [ -z "$id" ] && continue
  for m in "${MODES[@]}"; do
    port=${PORT[$prof.$m]}
    args=(-sk --max-time 5 -o "$M/body" -w '%{http_code}')
    [ "$cb" != - ] && args+=(--cert "$PKI/c_$cb.pem" --key "$PKI/$key.key")
    [ "$cb" = - ] && [ "$key" != - ] && extra="$key $extra"
    # shellcheck disable=SC2206
    [ -n "$extra" ] && args+=($extra)
    code=$(curl "${args[@]}" "https://127.0.0.1:$port/?case=$id.$m")
    body=$(grep -o 'No required SSL certificate was sent\|The SSL certificate error\|verify=.*' "$M/body" | head -1)
    sleep 0.05
    al=$(grep "case=$id.$m " "$M/access.log" | tail -1)
    ver=$(sed -n 's/.* verify="\([^"]*\)".*/\1/p' <<<"$al")
    sdn=$(sed -n 's/.* s_dn="\([^"]*\)".*/\1/p' <<<"$al")
    idn=$(sed -n 's/.* i_dn="\([^"]*\)".*/\1/p' <<<"$al")
    el=$(grep -F "/?case=$id.$m " "$M/error.log" | sed 's/^[0-9\/: ]*\[[a-z]*\] [0-9#]*: \*[0-9]* //; s/, client: .*//' | tr '\n' '|' | sed 's/|$//')
    proto=$(sed -n 's/.* proto=\([^ ]*\).*/\1/p' <<<"$al")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$prof" "$m" "$code" "$body" "$ver" "$sdn" "$idn" "$el" "$proto" >> "$R/matrix.tsv"
  done
done <<<"$CASES"
stop_nginx "$M"
cp "$M/nginx.conf" "$R/matrix-nginx.conf"; cp "$M/error.log" "$R/matrix-error.log"; cp "$M/access.log" "$R/matrix-access.log"
column -t -s $'\t' "$R/matrix.tsv"

# openssl verify -verbose prints EVERY error OpenSSL raises (the callback continues),
# nginx reports only the last one.  Record the sequences for the multi-error cases.
{
  v() { echo "\$ openssl verify -verbose -purpose sslclient $*"; (cd "$PKI" && openssl verify -verbose -purpose sslclient "$@" 2>&1); echo; }
  v -CAfile root.crt leaf_unkexp.crt
  v -CAfile root.crt -untrusted int.crt leaf_exp_srv.crt
  v -CAfile root.crt -untrusted int_caf.crt leaf_intcaf.crt
  v -CAfile root.crt -untrusted int_exp.crt leaf_intexp_nyv.crt
  v -CAfile root.crt -untrusted int.crt -crl_check_all -CRLfile crl_all.pem leaf_rev_exp.crt
  v -CAfile root.crt -untrusted int.crt -crl_check_all -CRLfile crl_int_only.pem leaf.crt
  v -CAfile root.crt -untrusted int.crt -crl_check_all -CRLfile crl_root_only.pem leaf.crt
  v -CAfile root.crt -untrusted int.crt -verify_depth 0 leaf.crt
  v -CAfile root+int.pem -verify_depth 0 leaf.crt
  v -CAfile int.crt leaf.crt
} > "$R/openssl-verify-sequences.txt"

# Optional: trace EVERY verification error the way nginx's verify callback sees
# them (nginx's callback always returns 1, so OpenSSL keeps going and the final
# X509_STORE_CTX error = the LAST error raised is what nginx reports).
# Needs gcc + OpenSSL headers (libssl-dev); skipped otherwise.
if command -v gcc >/dev/null && [ -f /usr/include/openssl/x509_vfy.h ]; then
cat > "$W/vtrace.c" <<'VTRACE'
/* vtrace: run X509_verify_cert like nginx does (callback always returns 1,
 * purpose "ssl_client", optional depth, optional CRL_CHECK|CRL_CHECK_ALL) and
 * print every error OpenSSL raises, then the final X509_STORE_CTX_get_error().
 * usage: vtrace CAFILE CHAINFILE(leaf first) DEPTH(-1=unset) [CRLFILE] */
#include <stdio.h>
#include <stdlib.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/pem.h>
static int cb(int ok, X509_STORE_CTX *c) {
  if (!ok) {
    int e = X509_STORE_CTX_get_error(c);
    char buf[256] = "";
    X509 *x = X509_STORE_CTX_get_current_cert(c);
    if (x) X509_NAME_oneline(X509_get_subject_name(x), buf, sizeof buf);
    printf("  callback: error %d at depth %d (%s): %s\n", e, X509_STORE_CTX_get_error_depth(c), buf, X509_verify_cert_error_string(e));
  }
  return 1;
}
int main(int argc, char **argv) {
  X509_STORE *st = X509_STORE_new();
  X509_STORE_load_file(st, argv[1]);
  if (argc > 4) { X509_STORE_load_file(st, argv[4]); X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK|X509_V_FLAG_CRL_CHECK_ALL); }
  FILE *f = fopen(argv[2], "r"); X509 *leaf = PEM_read_X509(f, NULL, NULL, NULL);
  STACK_OF(X509) *un = sk_X509_new_null(); X509 *x;
  while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) sk_X509_push(un, x);
  X509_STORE_CTX *c = X509_STORE_CTX_new();
  X509_STORE_CTX_init(c, st, leaf, un);
  X509_STORE_CTX_set_default(c, "ssl_client");
  if (atoi(argv[3]) >= 0) X509_VERIFY_PARAM_set_depth(X509_STORE_CTX_get0_param(c), atoi(argv[3]));
  X509_STORE_CTX_set_verify_cb(c, cb);
  int r = X509_verify_cert(c);
  int e = X509_STORE_CTX_get_error(c);
  printf("  X509_verify_cert=%d final error %d: %s\n", r, e, X509_verify_cert_error_string(e));
  return 0;
}
VTRACE
  if gcc -o "$W/vtrace" "$W/vtrace.c" -lcrypto 2>"$W/vtrace.err"; then
    {
      vt() { echo "\$ vtrace $*"; (cd "$PKI" && "$W/vtrace" "$@"); echo; }
      echo "# vtrace CAFILE CHAIN(leaf first) DEPTH(-1 = OpenSSL default 100) [CRLFILE -> CRL_CHECK|CRL_CHECK_ALL like nginx ssl_crl]"
      vt root.crt c_d2.pem 0
      vt root.crt c_d3.pem 1
      vt root+int.pem c_leafonly.pem 0
      vt root.crt c_unkexp.pem -1
      vt root.crt c_expsrv.pem -1
      vt root.crt c_intcaf.pem -1
      vt root.crt c_intnobc.pem -1
      vt root.crt c_intexp_nyv.pem -1
      vt root.crt c_revexp.pem -1 crl_all.pem
      vt root.crt c_good.pem -1 crl_int_only.pem
      vt root.crt c_good.pem -1 crl_root_only.pem
      vt root.crt c_good.pem -1 crl_int_expired.pem
      vt int.crt c_leafonly.pem -1
      vt int.crt c_good.pem -1
      vt root.crt c_unk_chain.pem -1
      vt root.crt c_self_exp.pem -1
      vt root.crt c_pl.pem -1
      vt root.crt c_srv.pem -1
      vt root.crt c_intsrv.pem -1
    } > "$R/vtrace.txt" 2>&1
  fi
fi

##########################################################################
# 3. error_page 495 496
##########################################################################
E=$W/errpage; mkdir -p "$E"
EP=$((BASEPORT + 300))
{
  main_head "$E"
  n=0
  while IFS='|' read -r name ep extra; do
    cat <<SB
    server {
        listen 127.0.0.1:$((EP + n)) ssl;   # $name
        server_name localhost;
        ssl_certificate     $PKI/server.crt;
        ssl_certificate_key $PKI/server.key;
        ssl_verify_client on;
        ssl_client_certificate $PKI/root.crt;
        $ep
        location / { return 200 "ok\n"; }
        location = /err.html { return 200 "custom error page verify=\$ssl_client_verify\n"; }
        location @mtlsfail { return 403 "named location verify=\$ssl_client_verify\n"; }
        $extra
    }
SB
    n=$((n+1))
  done <<'EPL'
none||
eq_named|error_page 495 496 = @mtlsfail;|
uri_no_eq|error_page 495 496 /err.html;|
eq_uri|error_page 495 496 = /err.html;|
eq403_uri|error_page 495 496 =403 /err.html;|
redirect|error_page 495 496 https://login.example/;|
static_file|error_page 495 496 /static.html;|location = /static.html { root STATICROOT; }
EPL
  echo "}"
} | sed "s|STATICROOT|$E|" > "$E/nginx.conf"
echo "static error page" > "$E/static.html"
start_nginx "$E" || exit 1
: > "$R/error_page.txt"
n=0
for name in none eq_named uri_no_eq eq_uri eq403_uri redirect static_file; do
  for c in absent unknown_ca; do
    args=(-sk --max-time 5 -D - -o "$E/body")
    [ $c = unknown_ca ] && args+=(--cert "$PKI/c_unk.pem" --key "$PKI/leaf_unk.key")
    hdr=$(curl "${args[@]}" "https://127.0.0.1:$((EP + n))/?case=$name.$c")
    printf '== %s client=%s\n%s\n-- body:\n%s\n\n' "$name" "$c" \
      "$(grep -iE '^(HTTP/|location:)' <<<"$hdr" | tr -d '\r')" "$(head -c 400 "$E/body")" >> "$R/error_page.txt"
  done
  n=$((n+1))
done
stop_nginx "$E"
cp "$E/nginx.conf" "$R/error_page-nginx.conf"

##########################################################################
# 4. nginx -t outcomes
##########################################################################
T=$W/ntest; mkdir -p "$T"
: > "$T/empty.pem"; mkdir -p "$T/adir"
cp "$PKI/leaf.key" "$T/keyonly.pem"
printf 'not a pem file\n' > "$T/garbage.pem"
# ntest NAME LISTEN_SUFFIX 'server directives'
ntest() {
  local name=$1 lsuf=$2 dirs=$3 httpdirs=${4:-} d=$T/$1
  mkdir -p "$d/tmp"
  cat > "$d/nginx.conf" <<NC
pid $d/nginx.pid;
error_log $d/error.log info;
events { }
http {
$(http_common "$d")
    $httpdirs
    server {
        listen 127.0.0.1:$((BASEPORT + 400))$lsuf;
        server_name localhost;
        $dirs
    }
}
NC
  local out rc
  out=$(nginx -p "$d" -c "$d/nginx.conf" -t 2>&1); rc=$?
  {
    echo "### $name"
    echo "# server block directives: $lsuf | $dirs${httpdirs:+   || http-level: $httpdirs}" | sed "s|$PKI/|PKI/|g; s|$T/|T/|g"
    echo "\$ nginx -t   (exit $rc)"
    sed "s|$PKI/|PKI/|g; s|$T/|T/|g; s|^[0-9/]* [0-9:]* |DATE TIME |; s|\[\([a-z]*\)\] [0-9]*#[0-9]*: |[\1] PID#TID: |" <<<"$out"
    echo
  } >> "$R/nginx-t.txt"
}
# the same failure with an explicit error log file (-e): stderr then uses the "nginx: [emerg]" form
ntest_e() {
  local d=$T/$1
  echo "### $1 again, with -e FILE" >> "$R/nginx-t.txt"
  echo "\$ nginx -p DIR -c DIR/nginx.conf -e DIR/e.log -t   -> stderr:" >> "$R/nginx-t.txt"
  nginx -p "$d" -c "$d/nginx.conf" -e "$d/e.log" -t 2>&1 | sed "s|$PKI/|PKI/|g; s|$T/|T/|g" >> "$R/nginx-t.txt"
  echo "-> DIR/e.log:" >> "$R/nginx-t.txt"
  sed "s|$PKI/|PKI/|g; s|$T/|T/|g; s|^[0-9/]* [0-9:]* |DATE TIME |; s|\[\([a-z]*\)\] [0-9]*#[0-9]*: |[\1] PID#TID: |" "$d/e.log" >> "$R/nginx-t.txt"
  echo >> "$R/nginx-t.txt"
}
CERT="ssl_certificate $PKI/server.crt; ssl_certificate_key $PKI/server.key;"
: > "$R/nginx-t.txt"
ntest ok_baseline          " ssl" "$CERT ssl_verify_client on; ssl_client_certificate $PKI/root.crt;"
ntest on_no_ca             " ssl" "$CERT ssl_verify_client on;"
ntest optional_no_ca_file  " ssl" "$CERT ssl_verify_client optional;"
ntest optional_no_ca_mode_no_ca " ssl" "$CERT ssl_verify_client optional_no_ca;"
ntest on_trusted_only      " ssl" "$CERT ssl_verify_client on; ssl_trusted_certificate $PKI/root.crt;"
ntest on_missing_ca        " ssl" "$CERT ssl_verify_client on; ssl_client_certificate $T/nonexistent.crt;"
ntest on_empty_ca          " ssl" "$CERT ssl_verify_client on; ssl_client_certificate $T/empty.pem;"
ntest on_dir_ca            " ssl" "$CERT ssl_verify_client on; ssl_client_certificate $T/adir;"
ntest on_keyonly_ca        " ssl" "$CERT ssl_verify_client on; ssl_client_certificate $T/keyonly.pem;"
ntest on_garbage_ca        " ssl" "$CERT ssl_verify_client on; ssl_client_certificate $T/garbage.pem;"
ntest on_leaf_as_ca        " ssl" "$CERT ssl_verify_client on; ssl_client_certificate $PKI/leaf.crt;"
ntest on_expired_ca        " ssl" "$CERT ssl_verify_client on; ssl_client_certificate $PKI/rootexp.crt;"
ntest on_trusted_cert_pem  " ssl" "$CERT ssl_verify_client on; ssl_client_certificate $PKI/root_trust_serverauth.pem;"
ntest trusted_missing      " ssl" "$CERT ssl_verify_client on; ssl_client_certificate $PKI/root.crt; ssl_trusted_certificate $T/nonexistent.crt;"
ntest trusted_missing_verify_off " ssl" "$CERT ssl_verify_client off; ssl_trusted_certificate $T/nonexistent.crt;"
ntest trusted_empty        " ssl" "$CERT ssl_verify_client on; ssl_client_certificate $PKI/root.crt; ssl_trusted_certificate $T/empty.pem;"
ntest crl_expired          " ssl" "$CERT ssl_verify_client on; ssl_client_certificate $PKI/root.crt; ssl_crl $PKI/crl_int_expired.pem;"
ntest crl_missing          " ssl" "$CERT ssl_verify_client on; ssl_client_certificate $PKI/root.crt; ssl_crl $T/nonexistent.crl;"
ntest crl_empty            " ssl" "$CERT ssl_verify_client on; ssl_client_certificate $PKI/root.crt; ssl_crl $T/empty.pem;"
ntest crl_garbage          " ssl" "$CERT ssl_verify_client on; ssl_client_certificate $PKI/root.crt; ssl_crl $T/garbage.pem;"
ntest crl_missing_verify_off " ssl" "$CERT ssl_verify_client off; ssl_crl $T/nonexistent.crl;"
ntest off_missing_ca       " ssl" "$CERT ssl_verify_client off; ssl_client_certificate $T/nonexistent.crt;"
ntest no_verify_missing_ca " ssl" "$CERT ssl_client_certificate $T/nonexistent.crt;"
ntest nossl_listen_full    ""     "$CERT ssl_verify_client on; ssl_client_certificate $PKI/root.crt;"
ntest nossl_listen_no_ca   ""     "$CERT ssl_verify_client on;"
ntest nossl_listen_missing_ca ""  "$CERT ssl_verify_client on; ssl_client_certificate $T/nonexistent.crt;"
ntest nossl_nocert_missing_ca ""  "ssl_verify_client on; ssl_client_certificate $T/nonexistent.crt;"
ntest ssl_listen_no_cert   " ssl" "ssl_verify_client on; ssl_client_certificate $PKI/root.crt;"
ntest depth_0              " ssl" "$CERT ssl_verify_client on; ssl_client_certificate $PKI/root.crt; ssl_verify_depth 0;"
ntest depth_negative       " ssl" "$CERT ssl_verify_client on; ssl_client_certificate $PKI/root.crt; ssl_verify_depth -1;"
ntest depth_word           " ssl" "$CERT ssl_verify_client on; ssl_client_certificate $PKI/root.crt; ssl_verify_depth two;"
ntest verify_bad_value     " ssl" "$CERT ssl_verify_client yes; ssl_client_certificate $PKI/root.crt;"
ntest verify_duplicate     " ssl" "$CERT ssl_verify_client on; ssl_verify_client off; ssl_client_certificate $PKI/root.crt;"
ntest ca_duplicate         " ssl" "$CERT ssl_verify_client on; ssl_client_certificate $PKI/root.crt; ssl_client_certificate $PKI/int.crt;"
ntest ca_two_args          " ssl" "$CERT ssl_verify_client on; ssl_client_certificate $PKI/root.crt $PKI/int.crt;"
ntest http_level_verify_no_ca " ssl" "$CERT" "ssl_verify_client on;"
ntest http_level_ca_server_off " ssl" "$CERT ssl_verify_client off;" "ssl_verify_client on; ssl_client_certificate $T/nonexistent.crt;"
ntest ssl_crl_with_cert_inside " ssl" "$CERT ssl_verify_client on; ssl_client_certificate $PKI/root.crt; ssl_crl $PKI/int.crt;"
ntest verify_in_location   " ssl" "$CERT ssl_client_certificate $PKI/root.crt; location / { ssl_verify_client on; }"
ntest_e on_no_ca
ntest_e on_missing_ca
ntest_e verify_duplicate

##########################################################################
# 5. two server blocks on one listen socket, different ssl_verify_client
##########################################################################
S=$W/sni; mkdir -p "$S"
SP1=$((BASEPORT + 500)); SP2=$((BASEPORT + 501))
vs() { # vs PORT NAME VERIFY
  cat <<SB
    server {
        listen 127.0.0.1:$1 ssl;
        server_name $2;
        ssl_certificate     $PKI/server.crt;
        ssl_certificate_key $PKI/server.key;
        ssl_verify_client $3;
        ssl_client_certificate $PKI/root.crt;
        location / { return 200 "server=$2 verify=\$ssl_client_verify\n"; }
    }
SB
}
{
  main_head "$S"
  # port SP1: default server (first) is a.test = verify on;   b.test = off
  vs $SP1 a.test on;  vs $SP1 b.test off
  # port SP2: default server (first) is b.test = verify off;  a.test = on
  vs $SP2 b.test off; vs $SP2 a.test on
  echo "}"
} > "$S/nginx.conf"
start_nginx "$S" || exit 1
printf 'port_default\tsni\thost\tclient_cert\thttp\tbody\terror_log\n' > "$R/sni.tsv"
for port in $SP1 $SP2; do
  [ $port = $SP1 ] && pd="a.test(on)" || pd="b.test(off)"
  for sni in - a.test b.test c.test; do
    for host in a.test b.test; do
      for cc in none good; do
        id="p$port.$sni.$host.$cc"
        args=(-sk --max-time 5 -o "$S/body" -w '%{http_code}' -H "Host: $host")
        [ $cc = good ] && args+=(--cert "$PKI/c_good.pem" --key "$PKI/leaf.key")
        if [ "$sni" = - ]; then url="https://127.0.0.1:$port/?case=$id"
        else args+=(--resolve "$sni:$port:127.0.0.1"); url="https://$sni:$port/?case=$id"; fi
        code=$(curl "${args[@]}" "$url")
        body=$(grep -o 'No required SSL certificate was sent\|The SSL certificate error\|Misdirected Request\|server=.*' "$S/body" | head -1)
        sleep 0.05
        el=$(grep -F "/?case=$id " "$S/error.log" | sed 's/^[0-9\/: ]*\[[a-z]*\] [0-9#]*: \*[0-9]* //; s/, client: 127.0.0.1//; s/, request: .*//' | tr '\n' '|' | sed 's/|$//')
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$pd" "$sni" "$host" "$cc" "$code" "$body" "$el" >> "$R/sni.tsv"
      done
    done
  done
done
cp "$S/access.log" "$R/sni-access.log"; cp "$S/error.log" "$R/sni-error.log"

##########################################################################
# 6. CA names advertised in CertificateRequest
##########################################################################
{
  main_head "$S.names"
  n=0
  while IFS='|' read -r name dirs; do
    cat <<SB
    server {   # $name
        listen 127.0.0.1:$((BASEPORT + 600 + n)) ssl;
        ssl_certificate     $PKI/server.crt;
        ssl_certificate_key $PKI/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        $dirs
        location / { return 200 "verify=\$ssl_client_verify\n"; }
    }
SB
    n=$((n+1))
  done <<NL
client_cert_root|ssl_verify_client on; ssl_client_certificate $PKI/root.crt;
client_cert_bundle|ssl_verify_client on; ssl_client_certificate $PKI/root+int.pem;
client_unk_trusted_root|ssl_verify_client on; ssl_client_certificate $PKI/unk.crt; ssl_trusted_certificate $PKI/root.crt;
optional_no_ca_trusted_only|ssl_verify_client optional_no_ca; ssl_trusted_certificate $PKI/root.crt;
optional_no_ca_nothing|ssl_verify_client optional_no_ca;
NL
  echo "}"
} > "$W/names.conf"
mkdir -p "$S.names"; mv "$W/names.conf" "$S.names/nginx.conf"
start_nginx "$S.names" || exit 1
: > "$R/ca-names.txt"
n=0
for name in client_cert_root client_cert_bundle client_unk_trusted_root optional_no_ca_trusted_only optional_no_ca_nothing; do
  for tls in -tls1_2 -tls1_3; do
    echo "== $name  (openssl s_client -connect 127.0.0.1:PORT -servername localhost $tls)" >> "$R/ca-names.txt"
    openssl s_client -connect 127.0.0.1:$((BASEPORT + 600 + n)) -servername localhost $tls </dev/null 2>&1 \
      | sed -n '/client certificate CA names/,/^Requested Signature\|^Client Certificate Types/p; /No client certificate CA names sent/p' >> "$R/ca-names.txt"
    echo >> "$R/ca-names.txt"
  done
  n=$((n+1))
done
# does verification of trusted-only chains work when ssl_client_certificate names another CA?
echo "== client_unk_trusted_root, curl with root-issued leaf+int: $(curl -sk --cert "$PKI/c_good.pem" --key "$PKI/leaf.key" https://127.0.0.1:$((BASEPORT + 602))/)" >> "$R/ca-names.txt"
echo "== optional_no_ca_trusted_only, curl with root-issued leaf+int: $(curl -sk --cert "$PKI/c_good.pem" --key "$PKI/leaf.key" https://127.0.0.1:$((BASEPORT + 603))/)" >> "$R/ca-names.txt"
echo "== optional_no_ca_nothing, curl with root-issued leaf+int: $(curl -sk --cert "$PKI/c_good.pem" --key "$PKI/leaf.key" https://127.0.0.1:$((BASEPORT + 604))/)" >> "$R/ca-names.txt"
stop_nginx "$S"; stop_nginx "$S.names"

##########################################################################
# 7. relative paths: prefix (-p) vs directory of the -c file
##########################################################################
PF=$W/rel/prefix; CF=$W/rel/confdir
: > "$R/relative-paths.txt"
relcase() { # relcase NAME WHERE(prefix|conf|both|none) ; file is ca.crt referenced relatively
  local name=$1 where=$2
  rm -rf "$W/rel"; mkdir -p "$PF/tmp" "$CF/sub"
  cp "$PKI/server.crt" "$PKI/server.key" "$CF/"
  # ca.crt (ssl_client_certificate), trusted.crt (ssl_trusted_certificate), crl.pem (ssl_crl)
  local f; for f in ca.crt trusted.crt; do
    case $where in prefix) cp "$PKI/root.crt" "$PF/$f";; conf) cp "$PKI/root.crt" "$CF/$f";; esac
  done
  case $where in prefix) cp "$PKI/crl_all.pem" "$PF/crl.pem";; conf) cp "$PKI/crl_all.pem" "$CF/crl.pem";; esac
  cat > "$CF/nginx.conf" <<NC
pid nginx.pid;
error_log error.log info;
events { }
http {
$(http_common "$PF")
    server {
        listen 127.0.0.1:$((BASEPORT + 700)) ssl;
        ssl_certificate server.crt;
        ssl_certificate_key server.key;
        ssl_verify_client on;
        ssl_client_certificate ca.crt;
        ssl_trusted_certificate trusted.crt;
        ssl_crl crl.pem;
    }
}
NC
  echo "### ssl_certificate server.crt (only in CONFDIR); ssl_client_certificate ca.crt; ssl_trusted_certificate trusted.crt; ssl_crl crl.pem; pid nginx.pid; error_log error.log -- ca/trusted/crl files in: $where   (nginx -p PREFIX/ -c CONFDIR/nginx.conf -t)" >> "$R/relative-paths.txt"
  nginx -p "$PF/" -c "$CF/nginx.conf" -t 2>&1 | sed "s|$PF|PREFIX|g; s|$CF|CONFDIR|g; s|^[0-9/]* [0-9:]* |DATE TIME |; s|\[\([a-z]*\)\] [0-9]*#[0-9]*: |[\1] PID#TID: |" >> "$R/relative-paths.txt"
  ls "$PF" | sed 's/^/  prefix contains: /' >> "$R/relative-paths.txt"
  echo >> "$R/relative-paths.txt"
}
relcase ca_in_prefix prefix
relcase ca_in_confdir conf
# include: relative include inside an included file in a subdirectory
rm -rf "$W/rel"; mkdir -p "$PF/tmp" "$CF/sub" "$PF/sub"
cp "$PKI/server.crt" "$PKI/server.key" "$PKI/root.crt" "$CF/"
cat > "$CF/nginx.conf" <<NC
pid $PF/nginx.pid;
error_log $PF/error.log info;
events { }
http {
$(http_common "$PF")
    include sub/level1.conf;
}
NC
cat > "$CF/sub/level1.conf" <<'NC'
server {
    listen 127.0.0.1:18950 ssl;
    include level2.conf;
}
NC
echo 'ssl_certificate server.crt; ssl_certificate_key server.key; ssl_verify_client on; ssl_client_certificate root.crt;' > "$CF/level2.conf"
{
  echo "### include sub/level1.conf (CONFDIR/sub/level1.conf), which does 'include level2.conf;' - level2.conf exists only as CONFDIR/level2.conf"
  nginx -p "$PF/" -c "$CF/nginx.conf" -t 2>&1 | sed "s|$PF|PREFIX|g; s|$CF|CONFDIR|g; s|^[0-9/]* [0-9:]* |DATE TIME |; s|\[\([a-z]*\)\] [0-9]*#[0-9]*: |[\1] PID#TID: |"
  mv "$CF/level2.conf" "$CF/sub/level2.conf"
  echo; echo "### same, but level2.conf exists only as CONFDIR/sub/level2.conf"
  nginx -p "$PF/" -c "$CF/nginx.conf" -t 2>&1 | sed "s|$PF|PREFIX|g; s|$CF|CONFDIR|g; s|^[0-9/]* [0-9:]* |DATE TIME |; s|\[\([a-z]*\)\] [0-9]*#[0-9]*: |[\1] PID#TID: |"
  echo; echo "### relative -c: nginx -p PREFIX/ -c confdir-rel/nginx.conf -t  (a copy placed at PREFIX/confdir-rel/nginx.conf referencing ssl files relatively; files only next to it)"
  mkdir -p "$PF/confdir-rel"; cp "$PKI/server.crt" "$PKI/server.key" "$PKI/root.crt" "$PF/confdir-rel/"
  sed "s|include sub/level1.conf;|server { listen 127.0.0.1:18951 ssl; ssl_certificate server.crt; ssl_certificate_key server.key; ssl_verify_client on; ssl_client_certificate root.crt; }|" "$CF/nginx.conf" > "$PF/confdir-rel/nginx.conf"
  (cd / && nginx -p "$PF/" -c confdir-rel/nginx.conf -t 2>&1) | sed "s|$PF|PREFIX|g; s|$CF|CONFDIR|g; s|^[0-9/]* [0-9:]* |DATE TIME |; s|\[\([a-z]*\)\] [0-9]*#[0-9]*: |[\1] PID#TID: |"
} >> "$R/relative-paths.txt"

##########################################################################
# 8. nginx -T dump format (include with a glob)
##########################################################################
D=$W/dump; mkdir -p "$D/conf.d" "$D/tmp"
cp "$PKI/server.crt" "$PKI/server.key" "$PKI/root.crt" "$D/"
cat > "$D/nginx.conf" <<NC
pid $D/nginx.pid;
error_log $D/error.log info;
events { }

http {
    access_log off;
    client_body_temp_path $D/tmp/body;
    proxy_temp_path $D/tmp/proxy;
    fastcgi_temp_path $D/tmp/fastcgi;
    uwsgi_temp_path $D/tmp/uwsgi;
    scgi_temp_path $D/tmp/scgi;
    include conf.d/*.conf;
    include conf.d/b-mtls.conf;   # same file a second time
    include empty-glob.d/*.conf;  # glob matching nothing
}
NC
cat > "$D/conf.d/b-mtls.conf" <<NC
# b: mutual TLS server
server {
    listen 127.0.0.1:$((BASEPORT + 800)) ssl;
    server_name b.test;
    ssl_certificate server.crt;
    ssl_certificate_key server.key;
    ssl_verify_client on;
    ssl_client_certificate root.crt;
}
NC
printf 'server {\n    listen 127.0.0.1:%s;\n    server_name a.test;\n}' $((BASEPORT + 801)) > "$D/conf.d/a-plain.conf"   # no trailing newline
mkdir -p "$D/empty-glob.d"
echo "# ignored: not *.conf" > "$D/conf.d/c-ignored.txt"
( cd "$D" && nginx -p "$D/" -c "$D/nginx.conf" -T >"$D/T.stdout" 2>"$D/T.stderr"; echo "exit=$?" > "$D/T.rc" )
sed "s|$D|DUMPDIR|g" "$D/T.stdout" > "$R/nginx-T.stdout"
sed "s|$D|DUMPDIR|g" "$D/T.stderr" > "$R/nginx-T.stderr"
cp "$D/T.rc" "$R/nginx-T.rc"

[ -n "$OUT" ] && echo "results copied to $OUT/results" >&2
