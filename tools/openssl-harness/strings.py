"""X509_verify_cert_error_string() of the OpenSSL bundled by `cryptography`.

    VENV/bin/python strings.py            -> {"openssl": ..., "strings": {"0": "ok", ...}}
    python3 strings.py --all VENVDIR      -> writes error-strings.json beside this file
                                             and prints the codes whose strings differ

Codes 0..MAX_CODE are read; a code the version does not know is reported with
that version's fallback text (see "unknown" in the output).
"""
import json
import os
import subprocess
import sys

MAX_CODE = 200
HERE = os.path.dirname(os.path.abspath(__file__))


def one():
    from cryptography.hazmat.backends.openssl import backend
    from OpenSSL._util import ffi, lib

    text = lambda n: ffi.string(lib.X509_verify_cert_error_string(n)).decode()
    # A code far outside x509_vfy.h gives the fallback text for unknown codes.
    unknown = text(100000)
    return {"openssl": backend.openssl_version_text(), "unknown": unknown,
            "strings": {str(n): text(n) for n in range(MAX_CODE + 1)}}


def combine(venvdir):
    versions = {}
    for v in sorted(os.listdir(venvdir)):
        py = os.path.join(venvdir, v, "bin", "python")
        if not os.path.exists(py):
            continue
        res = subprocess.run([py, os.path.abspath(__file__)], capture_output=True, text=True, timeout=60)
        if res.returncode:
            sys.exit(f"{py}: {res.stderr.strip()}")
        d = json.loads(res.stdout)
        num = d["openssl"].split()[1]  # "OpenSSL 3.0.8 7 Feb 2023" -> "3.0.8"
        # keep only the codes this version knows
        versions[num] = {k: s for k, s in d["strings"].items() if s != d["unknown"]}
    with open(os.path.join(HERE, "error-strings.json"), "w") as f:
        json.dump(versions, f, indent=1, sort_keys=False)
        f.write("\n")
    codes = sorted({int(c) for s in versions.values() for c in s})
    for c in codes:
        seen = [(v, s.get(str(c))) for v, s in versions.items()]
        if len({s for _, s in seen}) > 1:
            print(f"{c}:")
            for v, s in seen:
                print(f"  {v}: {s if s is not None else '(unknown code)'}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--all":
        combine(sys.argv[2])
    elif len(sys.argv) == 1:
        print(json.dumps(one()))
    else:
        sys.exit(__doc__)
