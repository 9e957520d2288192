#!/usr/bin/env python3
"""Compare `nginx-mtls-lint parse --single-file` with crossplane, file by file.

For every file given (directories are walked), both parsers' trees are compared on
`directive`, `args`, `line` and `block`, recursively, as crossplane reports them with
`crossplane.parse(F, single=True, check_ctx=False, check_args=False)`.

Files where crossplane differs from real nginx are listed in DIVERGENCES.md, one per
line as `- divergence: <path relative to the corpus root> -- <reason>`; for those the
comparison is reported but does not fail.

Usage: compare_crossplane.py BINARY CORPUS_ROOT [--verbose]
Exit status: 0 when every file agrees or is a listed divergence, 1 otherwise.
"""
import json
import os
import re
import subprocess
import sys

import crossplane


def strip(tree):
    out = []
    for d in tree:
        # crossplane keeps comments found between a directive's arguments as "#"
        # entries even with comments=False (its default); they are not directives.
        if d["directive"] == "#" and "comment" in d:
            continue
        e = {"directive": d["directive"], "line": d["line"], "args": d["args"]}
        if "block" in d:
            e["block"] = strip(d["block"])
        out.append(e)
    return out


def first_difference(a, b, path="parsed"):
    if type(a) is not type(b):
        return f"{path}: {a!r} != {b!r}"
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        if len(a) != len(b):
            return f"{path}: {len(a)} entries != {len(b)} entries"
        return None
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}: present on one side only"
            d = first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    return None if a == b else f"{path}: {a!r} != {b!r}"


def config_files(root):
    skip = {"LICENSE", "LICENSE.txt", "SOURCES.md"}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if name in skip or name.endswith((".md", ".txt")):
                continue
            yield os.path.join(dirpath, name)


def divergences(here):
    out = {}
    with open(os.path.join(here, "DIVERGENCES.md"), encoding="utf-8") as f:
        for line in f:
            m = re.match(r"- divergence: (\S+) -- (.*)", line)
            if m:
                out[m.group(1)] = m.group(2)
    return out


def main():
    binary, root = sys.argv[1], sys.argv[2]
    verbose = "--verbose" in sys.argv
    known = divergences(os.path.dirname(os.path.abspath(__file__)))
    agree = diverge = fail = 0
    for path in config_files(root):
        rel = os.path.relpath(path, root)
        theirs = crossplane.parse(path, single=True, check_ctx=False, check_args=False)
        run = subprocess.run([binary, "parse", "--single-file", path], capture_output=True)
        if run.returncode not in (0, 1):
            print(f"FAIL {rel}: exit {run.returncode}: {run.stderr.decode(errors='replace')}")
            fail += 1
            continue
        ours = json.loads(run.stdout)
        a = strip(theirs["config"][0]["parsed"]) if theirs["config"] else []
        b = strip(ours["config"][0]["parsed"])
        diff = first_difference(a, b)
        if diff is None:
            agree += 1
            if verbose:
                print(f"ok   {rel}")
        elif rel in known:
            diverge += 1
            print(f"DIVERGENCE {rel}: {known[rel]}\n    first difference (crossplane vs ours): {diff}")
        else:
            fail += 1
            print(f"FAIL {rel}: first difference (crossplane vs ours): {diff}")
    print(f"crossplane comparison: {agree} agree, {diverge} listed divergences, {fail} differ")
    print(f"{agree + diverge} passed, {fail} failed")
    return 1 if fail else 0


if __name__ == "__main__":
    sys.exit(main())
