"""Self-test: build a small PKI, write scenarios, run harness.py in every venv.

    VENV/bin/python selftest.py VENVDIR [OUTDIR]   (OUTDIR: /tmp/harness-test)

Writes OUTDIR/pki/*, OUTDIR/scenarios.jsonl, OUTDIR/results-<venv>[-cache].jsonl
and prints one table: scenario x venv -> code/status.
"""
import datetime
import json
import os
import subprocess
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def cert(cn, key, issuer=None, ca=False, ku=True, start=-1, end=365, serial=None):
    """issuer = (cert, key) or None for self-signed. start/end in days from now."""
    icert, ikey = issuer or (None, key)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    b = (x509.CertificateBuilder().subject_name(name)
         .issuer_name(icert.subject if icert else name).public_key(key.public_key())
         .serial_number(serial or x509.random_serial_number())
         .not_valid_before(NOW + start * DAY).not_valid_after(NOW + end * DAY)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if icert:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ikey.public_key()), critical=False)
    if ku:
        b = b.add_extension(x509.KeyUsage(
            digital_signature=not ca, key_cert_sign=ca, crl_sign=ca, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
    if not ca:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return b.sign(ikey, hashes.SHA256())


def crl(issuer, key, revoked=()):
    b = (x509.CertificateRevocationListBuilder().issuer_name(issuer.subject)
         .last_update(NOW - DAY).next_update(NOW + 30 * DAY))
    for serial in revoked:
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder()
                                      .serial_number(serial).revocation_date(NOW - DAY).build())
    return b.sign(key, hashes.SHA256())


def main():
    venvdir = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else "/tmp/harness-test"
    pki = os.path.join(out, "pki")
    os.makedirs(pki, exist_ok=True)
    P = lambda n: os.path.join(pki, n)
    pem = lambda o: o.public_bytes(serialization.Encoding.PEM)

    def write(name, *objs):
        with open(P(name), "wb") as f:
            f.write(b"".join(o if isinstance(o, bytes) else pem(o) for o in objs))
        return P(name)

    def keypem(k):
        return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption())

    k = {n: ec.generate_private_key(ec.SECP256R1()) for n in
         ("root", "inter", "other", "leaf", "old", "future", "revoked", "self", "selfku")}
    root = cert("Test Root CA", k["root"], ca=True, end=3650)
    inter = cert("Test Intermediate CA", k["inter"], (root, k["root"]), ca=True, end=3000)
    other = cert("Other Root CA", k["other"], ca=True, end=3650)
    leaf = cert("good client", k["leaf"], (inter, k["inter"]))
    old = cert("expired client", k["old"], (inter, k["inter"]), start=-60, end=-30)
    future = cert("future client", k["future"], (inter, k["inter"]), start=5 * 365, end=10 * 365)
    revoked = cert("revoked client", k["revoked"], (inter, k["inter"]), serial=4242)
    self_ = cert("self-signed client", k["self"], ku=False)
    selfku = cert("self-signed client (KU)", k["selfku"])

    write("root.pem", root)
    write("other.pem", other)
    write("bundle.pem", inter, root)
    write("root.crl", crl(root, k["root"]))
    write("inter.crl", crl(inter, k["inter"], [4242]))
    write("both.crl", crl(root, k["root"]), crl(inter, k["inter"], [4242]))
    write("both+root-cert.crl", crl(root, k["root"]), crl(inter, k["inter"], [4242]), root)
    for n, c in (("leaf", leaf), ("old", old), ("future", future), ("revoked", revoked)):
        write(f"{n}-chain.pem", c, inter)
        write(f"{n}.key", keypem(k[n]))
    write("leaf-only.pem", leaf)
    write("self.pem", self_)
    write("self.key", keypem(k["self"]))
    write("selfku.pem", selfku)
    write("selfku.key", keypem(k["selfku"]))
    write("self.crl", crl(self_, k["self"]))

    def sc(id, mode="on", ca=P("root.pem"), c="leaf-chain.pem", key="leaf.key", depth=2, **kw):
        d = {"id": id, "mode": mode, "client_certificate": ca, "trusted_certificate": None,
             "crl": None, "depth": depth, "cert": c and P(c), "key": key and P(key)}
        d.update(kw)
        return d

    scen = [
        sc("good-chain"),
        sc("good-chain-depth1", depth=1),
        sc("missing-intermediate", c="leaf-only.pem"),
        sc("intermediate-in-ca-file", ca=P("bundle.pem"), c="leaf-only.pem"),
        sc("unknown-ca", ca=P("other.pem")),
        sc("unknown-ca-optional_no_ca", mode="optional_no_ca", ca=P("other.pem")),
        sc("trusted-only", ca=None, trusted_certificate=P("root.pem")),
        sc("expired", c="old-chain.pem", key="old.key"),
        sc("not-yet-valid", c="future-chain.pem", key="future.key"),
        sc("self-signed-on", c="self.pem", key="self.key"),
        sc("self-signed-optional_no_ca", mode="optional_no_ca", ca=None, c="self.pem", key="self.key"),
        sc("self-signed-ku-optional_no_ca", mode="optional_no_ca", ca=None, c="selfku.pem", key="selfku.key"),
        sc("crl-root-has-none", crl=P("inter.crl")),
        sc("crl-both", crl=P("both.crl")),
        sc("crl-revoked", crl=P("both.crl"), c="revoked-chain.pem", key="revoked.key"),
        sc("crl-file-carries-root-cert", ca=P("other.pem"), crl=P("both+root-cert.crl")),
        sc("self-signed-optional_no_ca+crl", mode="optional_no_ca", ca=None, c="self.pem", key="self.key",
           crl=P("inter.crl")),
        sc("self-signed-pinned+crl", ca=P("self.pem"), c="self.pem", key="self.key", crl=P("inter.crl")),
        sc("self-signed-pinned+own-crl", ca=P("self.pem"), c="self.pem", key="self.key", crl=P("self.crl")),
        sc("self-signed-pinned-no-crl", ca=P("self.pem"), c="self.pem", key="self.key"),
        sc("no-cert-on", c=None, key=None),
        sc("no-cert-optional", mode="optional", c=None, key=None),
        sc("bad-mode", mode="maybe"),
        sc("missing-file", ca=P("nope.pem")),
    ]
    path = os.path.join(out, "scenarios.jsonl")
    with open(path, "w") as f:
        f.writelines(json.dumps(s) + "\n" for s in scen)
        f.write("this is not json\n")

    table = {}
    for v in sorted(os.listdir(venvdir)):
        py = os.path.join(venvdir, v, "bin", "python")
        for variant, extra in (("", []), ("-cache", ["--loader", "cache"]), ("-tls13", ["--tls13"])):
            with open(path) as inp:
                res = subprocess.run([py, os.path.join(HERE, "harness.py"), *extra], stdin=inp,
                                     capture_output=True, text=True, timeout=300)
            if res.returncode:
                sys.exit(f"{py}: harness failed: {res.stderr}")
            with open(os.path.join(out, f"results-{v}{variant}.jsonl"), "w") as f:
                f.write(res.stdout)
            for line in res.stdout.splitlines():
                r = json.loads(line)
                cell = ("ERR" if "harness_error" in r else "HS-ERR" if "handshake_error" in r
                        else f"{r['code']}/{r['nginx_status']}")
                table.setdefault(r["id"], {})[v + variant] = cell
    cols = sorted({c for row in table.values() for c in row})
    print("| scenario | " + " | ".join(cols) + " |")
    print("|" + "---|" * (len(cols) + 1))
    for id, row in table.items():
        print(f"| {id} | " + " | ".join(row.get(c, "") for c in cols) + " |")


if __name__ == "__main__":
    main()
