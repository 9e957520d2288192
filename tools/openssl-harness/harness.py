"""Reproduce nginx's client-certificate verification with the OpenSSL that
the installed `cryptography` wheel bundles (driven through pyOpenSSL).

    VENV/bin/python harness.py [--tls13] [--loader legacy|cache] < scenarios.jsonl

One JSON object per input line, see README.md. Server and client run in this
process over a non-blocking socketpair; every handshake is bounded (5 s).
"""
import argparse
import atexit
import datetime
import json
import os
import re
import select
import shutil
import socket
import sys
import tempfile
import time

from cryptography import x509
from cryptography.hazmat.backends.openssl import backend
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from OpenSSL import SSL
from OpenSSL._util import ffi, lib

OPENSSL = backend.openssl_version_text()
TIMEOUT = 5.0
MODES = ("on", "optional", "optional_no_ca")
# ngx_ssl_verify_error_optional (src/event/ngx_event_openssl.h):
# DEPTH_ZERO_SELF_SIGNED_CERT, SELF_SIGNED_CERT_IN_CHAIN,
# UNABLE_TO_GET_ISSUER_CERT_LOCALLY, CERT_UNTRUSTED,
# UNABLE_TO_VERIFY_LEAF_SIGNATURE
OPTIONAL_OK = {18, 19, 20, 27, 21}
X509_V_FLAG_CRL_CHECK_BOTH = lib.X509_V_FLAG_CRL_CHECK | lib.X509_V_FLAG_CRL_CHECK_ALL
TMP = tempfile.mkdtemp(prefix="openssl-harness-")
atexit.register(shutil.rmtree, TMP, True)


def error_string(code):
    return ffi.string(lib.X509_verify_cert_error_string(code)).decode()


def make_server_cert():
    """Self-signed P-256 server certificate, written once to TMP."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "harness-server")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    crt, pk = os.path.join(TMP, "server.crt"), os.path.join(TMP, "server.key")
    with open(crt, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(pk, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return crt, pk


SERVER_CRT, SERVER_KEY = make_server_cert()

# The verify callback: like ngx_ssl_verify_callback it always returns 1 and
# leaves the store's error alone (pyOpenSSL's own set_verify wrapper would
# reset the error to X509_V_OK, so it is bypassed). It records every call.
CALLS = []


@ffi.callback("int (*)(int, X509_STORE_CTX *)", error=1)
def verify_callback(ok, store):
    CALLS.append([ok, lib.X509_STORE_CTX_get_error(store),
                  lib.X509_STORE_CTX_get_error_depth(store)])
    return 1


def pem_only(path, labels, tag):
    """nginx >= 1.27.2 (ssl cache) reads only certificates from CA files and
    only CRLs from ssl_crl: keep just those PEM blocks (same store result)."""
    with open(path, "rb") as f:
        data = f.read()
    blocks = [m.group(0) for m in re.finditer(
        rb"-----BEGIN ([A-Z0-9 ]+)-----.*?-----END \1-----", data, re.S)
        if m.group(1) in labels]
    if not blocks:
        raise ValueError(f"{path}: no {b'/'.join(labels).decode()} PEM block")
    out = os.path.join(TMP, f"{tag}-{len(os.listdir(TMP))}.pem")
    with open(out, "wb") as f:
        f.write(b"\n".join(blocks) + b"\n")
    return out


CERT_LABELS = (b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE")


def server_context(sc, tls_version, loader):
    """ngx_http_ssl_merge_srv_conf: client_certificate, trusted, crl."""
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
    ctx.set_max_proto_version(tls_version)
    ctx.use_certificate_file(SERVER_CRT.encode())
    ctx.use_privatekey_file(SERVER_KEY.encode())
    ca, trusted, crl = sc.get("client_certificate"), sc.get("trusted_certificate"), sc.get("crl")
    if loader == "cache":
        ca = ca and pem_only(ca, CERT_LABELS, "ca")
        trusted = trusted and pem_only(trusted, CERT_LABELS, "trusted")
        crl = crl and pem_only(crl, (b"X509 CRL",), "crl")
    depth = 1 if sc.get("depth") is None else int(sc["depth"])  # nginx default 1
    # ngx_ssl_client_certificate
    lib.SSL_CTX_set_verify(ctx._context, lib.SSL_VERIFY_PEER, verify_callback)
    ctx.set_verify_depth(depth)
    if ca:
        ctx.load_verify_locations(os.fsencode(ca))  # SSL_CTX_load_verify_locations
        ctx.load_client_ca(os.fsencode(ca))  # SSL_load_client_CA_file
    # ngx_ssl_trusted_certificate
    if trusted:
        ctx.load_verify_locations(os.fsencode(trusted))
    # ngx_ssl_crl: X509_STORE_add_lookup(X509_LOOKUP_file()) +
    # X509_LOOKUP_load_file(PEM) is what SSL_CTX_load_verify_locations does.
    if crl:
        ctx.load_verify_locations(os.fsencode(crl))
        lib.X509_STORE_set_flags(lib.SSL_CTX_get_cert_store(ctx._context),
                                 X509_V_FLAG_CRL_CHECK_BOTH)
    return ctx


def client_context(sc, tls_version):
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
    ctx.set_max_proto_version(tls_version)
    ctx.set_verify(SSL.VERIFY_NONE, lambda *a: True)
    if sc.get("cert"):
        ctx.use_certificate_chain_file(os.fsencode(sc["cert"]))  # leaf + chain
        ctx.use_privatekey_file(os.fsencode(sc.get("key") or sc["cert"]))
    return ctx


def handshake(server, client, socks):
    """Drive both ends until both finished; bounded by TIMEOUT."""
    deadline = time.monotonic() + TIMEOUT
    pending = [client, server]
    while pending:
        for conn in list(pending):
            try:
                conn.do_handshake()
                pending.remove(conn)
            except (SSL.WantReadError, SSL.WantWriteError):
                pass
        left = deadline - time.monotonic()
        if pending and left <= 0:
            raise TimeoutError("handshake timed out")
        if pending:
            select.select(socks, [], [], min(left, 0.05))


def nginx_decision(mode, cert_sent, code):
    """ngx_http_process_request + ngx_ssl_get_client_verify."""
    if code != 0 and (mode != "optional_no_ca" or code not in OPTIONAL_OK):
        http = 495
    elif mode == "on" and not cert_sent:
        http = 496
    else:
        http = None
    if not cert_sent:
        verify = "NONE"
    elif code == 0:
        verify = "SUCCESS"
    else:
        verify = "FAILED:" + error_string(code)
    return verify, http


def run(sc, tls_version, loader):
    mode = sc.get("mode")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if mode != "optional_no_ca" and not sc.get("client_certificate") and not sc.get("trusted_certificate"):
        raise ValueError("nginx -t fails: no ssl_client_certificate or "
                         "ssl_trusted_certificate for ssl_verify_client")
    if "tls13" in sc:  # per line: ssl_protocols with TLSv1.3 (curl --tlsv1.3)
        tls_version = SSL.TLS1_3_VERSION if sc["tls13"] else SSL.TLS1_2_VERSION
    sctx, cctx = server_context(sc, tls_version, loader), client_context(sc, tls_version)
    a, b = socket.socketpair()
    try:
        for s in (a, b):
            s.setblocking(False)
        server, client = SSL.Connection(sctx, a), SSL.Connection(cctx, b)
        server.set_accept_state()
        client.set_connect_state()
        del CALLS[:]
        out = {"id": sc.get("id"), "openssl": OPENSSL}
        try:
            handshake(server, client, (a, b))
        except (SSL.Error, TimeoutError) as e:
            out["handshake_error"] = repr(e)
        code = lib.SSL_get_verify_result(server._ssl)
        cert_sent = server.get_peer_certificate() is not None
        out.update(code=code, error=error_string(code),
                   errors=[[e, d] for ok, e, d in CALLS if not ok],
                   calls=list(CALLS), cert_sent=cert_sent)
        if "handshake_error" in out:
            out["status"] = None
            return out
        verify, http = nginx_decision(mode, cert_sent, code)
        out.update(ssl_client_verify=verify, status=400 if http else 200, nginx_status=http or 200)
        return out
    finally:
        a.close()
        b.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tls13", action="store_true", help="allow TLS 1.3 (default: TLS 1.2 only)")
    p.add_argument("--loader", choices=("legacy", "cache"), default="legacy",
                   help="nginx <= 1.27.1 file loading (legacy, default) or >= 1.27.2 (cache)")
    args = p.parse_args()
    tls_version = SSL.TLS1_3_VERSION if args.tls13 else SSL.TLS1_2_VERSION
    for line in sys.stdin:
        if not line.strip():
            continue
        sc = {}
        try:
            sc = json.loads(line)
            out = run(sc, tls_version, args.loader)
        except Exception as e:  # a bad line must not stop the run
            out = {"id": sc.get("id") if isinstance(sc, dict) else None,
                   "harness_error": f"{type(e).__name__}: {e}"}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
