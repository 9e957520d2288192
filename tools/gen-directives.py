#!/usr/bin/env python3
"""Generate src/config/directives_table.rs from nginx's own source.

Reads every ``static ngx_command_t ..._commands[]`` array (and the
``ngx_conf_enum_t`` / ``ngx_conf_bitmask_t`` / ``ngx_conf_num_bounds_t`` /
``ngx_conf_deprecated_t`` objects the commands point at) from each nginx
release tag of a git directory (or from one unpacked source tree), keeps the
modules that Debian's or nginx.org's Linux packages build, and writes a
sorted static Rust table with per-version-range variants.

Only facts are emitted (directive names, flag bits, value lists, versions);
no nginx code is copied.

Usage:
    python3 tools/gen-directives.py --git-dir /path/to/nginx.git \
        --out src/config/directives_table.rs
    python3 tools/gen-directives.py --source-tree /path/to/nginx-1.27.4 \
        --out /tmp/table.rs

Python 3.11, standard library only.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field

# --------------------------------------------------------------------------
# Packaging: the configure arguments of the two Linux package families.
# Debian: `nginx -V` of bookworm's 1.22.1-9 (libnginx-mod-* are dynamic).
# nginx.org: the official nginx / nginx-module-* packages.
# Options a given release does not know are ignored for that release.
# --------------------------------------------------------------------------

DEBIAN_CONFIGURE = """
--with-compat --with-debug --with-pcre-jit --with-http_ssl_module
--with-http_stub_status_module --with-http_realip_module
--with-http_auth_request_module --with-http_v2_module --with-http_dav_module
--with-http_slice_module --with-threads --with-http_addition_module
--with-http_flv_module --with-http_gunzip_module --with-http_gzip_static_module
--with-http_mp4_module --with-http_random_index_module
--with-http_secure_link_module --with-http_sub_module --with-mail_ssl_module
--with-stream_ssl_module --with-stream_ssl_preread_module
--with-stream_realip_module --with-http_geoip_module=dynamic
--with-http_image_filter_module=dynamic --with-http_perl_module=dynamic
--with-http_xslt_module=dynamic --with-mail=dynamic --with-stream=dynamic
--with-stream_geoip_module=dynamic
""".split()

NGINX_ORG_CONFIGURE = """
--with-compat --with-file-aio --with-threads --with-http_addition_module
--with-http_auth_request_module --with-http_dav_module --with-http_flv_module
--with-http_gunzip_module --with-http_gzip_static_module --with-http_mp4_module
--with-http_random_index_module --with-http_realip_module
--with-http_secure_link_module --with-http_slice_module --with-http_ssl_module
--with-http_stub_status_module --with-http_sub_module --with-http_v2_module
--with-http_v3_module --with-mail --with-mail_ssl_module --with-stream
--with-stream_realip_module --with-stream_ssl_module
--with-stream_ssl_preread_module
--with-http_geoip_module=dynamic --with-stream_geoip_module=dynamic
--with-http_image_filter_module=dynamic --with-http_perl_module=dynamic
--with-http_xslt_module=dynamic
""".split()

# Variables auto/configure derives from the options above (not options
# themselves) on a Linux build with OpenSSL and PCRE.
IMPLIED_ENV = {
    "USE_OPENSSL": "YES",
    "USE_PCRE": "YES",
    "EVENT_FOUND": "YES",
    "SO_COOKIE_FOUND": "YES",
}

# Distribution package names for dynamic modules (by the .so they ship).
DEBIAN_DYN_PKG = {
    "ngx_http_geoip_module": "libnginx-mod-http-geoip",
    "ngx_http_image_filter_module": "libnginx-mod-http-image-filter",
    "ngx_http_xslt_filter_module": "libnginx-mod-http-xslt-filter",
    "ngx_http_perl_module": "libnginx-mod-http-perl",
    "ngx_mail_module": "libnginx-mod-mail",
    "ngx_stream_module": "libnginx-mod-stream",
    "ngx_stream_geoip_module": "libnginx-mod-stream-geoip",
}
NGINX_ORG_DYN_PKG = {
    "ngx_http_geoip_module": "nginx-module-geoip",
    "ngx_stream_geoip_module": "nginx-module-geoip",
    "ngx_http_image_filter_module": "nginx-module-image-filter",
    "ngx_http_xslt_filter_module": "nginx-module-xslt",
    "ngx_http_perl_module": "nginx-module-perl",
}

# Modules that auto/modules does not list (they come from auto/sources,
# auto/os/linux, auto/threads) and that every Linux package links in.
ALWAYS_BUILT = {
    "ngx_core_module", "ngx_errlog_module", "ngx_conf_module",
    "ngx_events_module", "ngx_event_core_module", "ngx_epoll_module",
    "ngx_thread_pool_module",  # --with-threads in both package families
}
# Event modules of other operating systems: neither Linux package has them.
NOT_ON_LINUX = {
    "ngx_kqueue_module", "ngx_devpoll_module", "ngx_eventport_module",
    "ngx_iocp_module", "ngx_select_module", "ngx_poll_module",
    "ngx_win32_select_module", "ngx_win32_poll_module",
}

# Preprocessor symbols that are false on a packaged Linux build; everything
# else met inside a command array is assumed true and recorded as a guard.
FALSE_MACROS = {"NGX_WIN32", "NGX_HTTP_DEGRADATION", "NGX_SOLARIS",
                "NGX_DARWIN", "NGX_FREEBSD", "NGX_TEST_BUILD_EPOLL"}

MODULE_KINDS = {
    "NGX_CORE_MODULE": "Core", "NGX_CONF_MODULE": "Conf",
    "NGX_EVENT_MODULE": "Event", "NGX_HTTP_MODULE": "Http",
    "NGX_STREAM_MODULE": "Stream", "NGX_MAIL_MODULE": "Mail",
}

# Our context bits (must match `Context::bit()` in directives.rs).
CTX = {
    "Main": 1 << 0, "Events": 1 << 1,
    "Http": 1 << 2, "HttpServer": 1 << 3, "HttpLocation": 1 << 4,
    "HttpUpstream": 1 << 5, "HttpIfInServer": 1 << 6,
    "HttpIfInLocation": 1 << 7, "HttpLimitExcept": 1 << 8,
    "Stream": 1 << 9, "StreamServer": 1 << 10, "StreamUpstream": 1 << 11,
    "Mail": 1 << 12, "MailServer": 1 << 13,
}
CTX_ALL = (1 << 14) - 1

# nginx context macro -> (module kind, our context name)
CTX_MACROS = {
    "NGX_MAIN_CONF": ("Core", "Main"),
    "NGX_EVENT_CONF": ("Event", "Events"),
    "NGX_HTTP_MAIN_CONF": ("Http", "Http"),
    "NGX_HTTP_SRV_CONF": ("Http", "HttpServer"),
    "NGX_HTTP_LOC_CONF": ("Http", "HttpLocation"),
    "NGX_HTTP_UPS_CONF": ("Http", "HttpUpstream"),
    "NGX_HTTP_SIF_CONF": ("Http", "HttpIfInServer"),
    "NGX_HTTP_LIF_CONF": ("Http", "HttpIfInLocation"),
    "NGX_HTTP_LMT_CONF": ("Http", "HttpLimitExcept"),
    "NGX_STREAM_MAIN_CONF": ("Stream", "Stream"),
    "NGX_STREAM_SRV_CONF": ("Stream", "StreamServer"),
    "NGX_STREAM_UPS_CONF": ("Stream", "StreamUpstream"),
    "NGX_MAIL_MAIN_CONF": ("Mail", "Mail"),
    "NGX_MAIL_SRV_CONF": ("Mail", "MailServer"),
}

# Which function sets which cf->cmd_type (verified on every run, so a new
# block kind in a future release is reported instead of silently missed).
EXPECTED_BLOCK_FUNCS = {
    "ngx_events_block": {"NGX_EVENT_CONF"},
    "ngx_http_block": {"NGX_HTTP_MAIN_CONF"},
    "ngx_http_core_server": {"NGX_HTTP_SRV_CONF"},
    "ngx_http_core_location": {"NGX_HTTP_LOC_CONF"},
    "ngx_http_core_limit_except": {"NGX_HTTP_LMT_CONF"},
    "ngx_http_upstream": {"NGX_HTTP_UPS_CONF"},
    "ngx_http_rewrite_if": {"NGX_HTTP_SIF_CONF", "NGX_HTTP_LIF_CONF"},
    "ngx_stream_block": {"NGX_STREAM_MAIN_CONF"},
    "ngx_stream_core_server": {"NGX_STREAM_SRV_CONF"},
    "ngx_stream_upstream": {"NGX_STREAM_UPS_CONF"},
    "ngx_mail_block": {"NGX_MAIL_MAIN_CONF"},
    "ngx_mail_core_server": {"NGX_MAIL_SRV_CONF"},
}

# Block directives that open a directive context (Context::child()).
CONTEXT_BLOCKS = {"events", "http", "stream", "mail", "server", "location",
                  "if", "limit_except", "upstream"}

# Generic slot functions -> Handler variant in directives.rs.
SLOTS = {
    "ngx_conf_set_flag_slot": "Flag",
    "ngx_conf_set_str_slot": "Str",
    "ngx_conf_set_str_array_slot": "StrArray",
    "ngx_conf_set_keyval_slot": "KeyVal",
    "ngx_conf_set_num_slot": "Num",
    "ngx_conf_set_size_slot": "Size",
    "ngx_conf_set_off_slot": "Off",
    "ngx_conf_set_msec_slot": "Msec",
    "ngx_conf_set_sec_slot": "Sec",
    "ngx_conf_set_bufs_slot": "Bufs",
    "ngx_conf_set_enum_slot": "Enum",
    "ngx_conf_set_bitmask_slot": "Bitmask",
    "ngx_conf_set_path_slot": "Path",
    "ngx_conf_set_access_slot": "Access",
}

ARG_MACROS = [
    "NGX_CONF_NOARGS", "NGX_CONF_TAKE1", "NGX_CONF_TAKE2", "NGX_CONF_TAKE3",
    "NGX_CONF_TAKE4", "NGX_CONF_TAKE5", "NGX_CONF_TAKE6", "NGX_CONF_TAKE7",
    "NGX_CONF_BLOCK", "NGX_CONF_FLAG", "NGX_CONF_ANY", "NGX_CONF_1MORE",
    "NGX_CONF_2MORE",
]
# The bit values directives.rs assumes; checked against each release.
ARG_BITS_EXPECTED = {
    "NGX_CONF_NOARGS": 0x1, "NGX_CONF_TAKE1": 0x2, "NGX_CONF_TAKE2": 0x4,
    "NGX_CONF_TAKE3": 0x8, "NGX_CONF_TAKE4": 0x10, "NGX_CONF_TAKE5": 0x20,
    "NGX_CONF_TAKE6": 0x40, "NGX_CONF_TAKE7": 0x80, "NGX_CONF_BLOCK": 0x100,
    "NGX_CONF_FLAG": 0x200, "NGX_CONF_ANY": 0x400, "NGX_CONF_1MORE": 0x800,
    "NGX_CONF_2MORE": 0x1000,
}

HEADERS = ["src/core/ngx_conf_file.h", "src/http/ngx_http_config.h",
           "src/stream/ngx_stream.h", "src/mail/ngx_mail.h",
           "src/event/ngx_event.h"]


def warn(msg: str) -> None:
    print(f"gen-directives: warning: {msg}", file=sys.stderr)


# --------------------------------------------------------------------------
# Sources: a git directory (all release tags) or one source tree.
# --------------------------------------------------------------------------

class GitSource:
    def __init__(self, git_dir: str):
        self.git_dir = git_dir
        self.proc = subprocess.Popen(
            ["git", "--git-dir", git_dir, "cat-file", "--batch"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.tree: dict[str, str] = {}

    def git(self, *args: str) -> str:
        return subprocess.run(["git", "--git-dir", self.git_dir, *args],
                              check=True, capture_output=True,
                              text=True).stdout

    def tags(self) -> list[str]:
        return [t for t in self.git("tag", "--list", "release-*").split()
                if re.fullmatch(r"release-\d+\.\d+\.\d+", t)]

    def select(self, tag: str) -> None:
        self.tree = {}
        out = self.git("ls-tree", "-r", tag, "--", "src", "auto")
        for line in out.splitlines():
            meta, path = line.split("\t", 1)
            _mode, kind, sha = meta.split()
            if kind == "blob":
                self.tree[path] = sha

    def paths(self) -> list[str]:
        return sorted(self.tree)

    def key(self, path: str) -> str:
        return self.tree[path]

    def read(self, path: str) -> str:
        sha = self.tree[path]
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(sha.encode() + b"\n")
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().split()
        size = int(header[2])
        data = self.proc.stdout.read(size + 1)[:-1]
        return data.decode("utf-8", "replace")


class TreeSource:
    def __init__(self, root: str):
        self.root = root
        self.files: list[str] = []
        for top in ("src", "auto"):
            for d, _subdirs, names in os.walk(os.path.join(root, top)):
                for n in names:
                    full = os.path.join(d, n)
                    self.files.append(os.path.relpath(full, root))
        self.files.sort()

    def version_tag(self) -> str:
        with open(os.path.join(self.root, "src/core/nginx.h")) as f:
            m = re.search(r'#define\s+NGINX_VERSION\s+"(\d+\.\d+\.\d+)"',
                          f.read())
        if not m:
            sys.exit("cannot find NGINX_VERSION in src/core/nginx.h")
        return "release-" + m.group(1)

    def select(self, tag: str) -> None:
        pass

    def paths(self) -> list[str]:
        return self.files

    def key(self, path: str) -> str:
        return "tree:" + path

    def read(self, path: str) -> str:
        with open(os.path.join(self.root, path), encoding="utf-8",
                  errors="replace") as f:
            return f.read()


def vtuple(tag: str) -> tuple[int, int, int]:
    a, b, c = tag.removeprefix("release-").split(".")
    return int(a), int(b), int(c)


# --------------------------------------------------------------------------
# C parsing (just enough for nginx's very regular style).
# --------------------------------------------------------------------------

def strip_comments(text: str) -> str:
    """Remove /* */ and // comments, keeping strings and line structure."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"' or c == "'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def eval_cond(expr: str) -> bool:
    expr = expr.strip()
    py = re.sub(r"defined\s*\(\s*(\w+)\s*\)", r"\1", expr)
    py = re.sub(r"defined\s+(\w+)", r"\1", py)
    py = py.replace("&&", " and ").replace("||", " or ")
    py = re.sub(r"!(?!=)", " not ", py)

    def ident(m: re.Match[str]) -> str:
        w = m.group(0)
        if w in ("and", "or", "not"):
            return w
        if w.isdigit():
            return w
        return "False" if w in FALSE_MACROS else "True"

    py = re.sub(r"\b\w+\b", ident, py)
    if not re.fullmatch(r"[\w\s()<>=!]*", py):
        return True
    try:
        return bool(eval(py, {"__builtins__": {}}, {}))  # noqa: S307
    except Exception:  # pragma: no cover - unusual expression
        return True


def preprocess(text: str) -> tuple[list[str], list[tuple[str, ...]]]:
    """Drop inactive #if branches; return lines and each line's guards."""
    lines = strip_comments(text).split("\n")
    out_lines: list[str] = []
    guards: list[tuple[str, ...]] = []
    stack: list[tuple[str, bool, bool]] = []  # (cond, active, taken)
    for line in lines:
        s = line.strip()
        m = re.match(r"#\s*(if|ifdef|ifndef|elif|else|endif)\b(.*)", s)
        if m:
            kw, rest = m.group(1), m.group(2).strip()
            if kw in ("if", "ifdef", "ifndef"):
                cond = rest
                if kw == "ifdef":
                    val = eval_cond(rest)
                elif kw == "ifndef":
                    val = not eval_cond(rest)
                    cond = "!" + rest
                else:
                    val = eval_cond(rest)
                stack.append((cond, val, val))
            elif kw == "elif" and stack:
                _c, _a, taken = stack.pop()
                val = (not taken) and eval_cond(rest)
                stack.append((rest, val, taken or val))
            elif kw == "else" and stack:
                c, _a, taken = stack.pop()
                stack.append(("!" + c, not taken, True))
            elif kw == "endif" and stack:
                stack.pop()
            out_lines.append("")
            guards.append(())
            continue
        if all(a for _c, a, _t in stack):
            out_lines.append(line)
        else:
            out_lines.append("")
        guards.append(tuple(c for c, _a, _t in stack))
    return out_lines, guards


def split_top(s: str) -> list[str]:
    """Split on commas at paren/brace depth 0."""
    parts, depth, cur, i = [], 0, [], 0
    while i < len(s):
        c = s[i]
        if c == '"':
            j = i + 1
            while j < len(s) and s[j] != '"':
                j += 2 if s[j] == "\\" else 1
            cur.append(s[i:j + 1])
            i = j + 1
            continue
        if c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
        if c == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


def braces(text: str, start: int) -> int:
    """Index just past the '}' matching the '{' at text[start]."""
    depth, i = 0, start
    while i < len(text):
        c = text[i]
        if c == '"':
            j = i + 1
            while j < len(text) and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


@dataclass
class Command:
    name: str
    flags: str
    handler: str
    post: str
    guard: tuple[str, ...]


@dataclass
class FileFacts:
    commands: dict[str, list[Command]] = field(default_factory=dict)
    modules: list[tuple[str, str, str]] = field(default_factory=list)
    enums: dict[str, list[str]] = field(default_factory=dict)
    bounds: dict[str, tuple[int, int]] = field(default_factory=dict)
    deprecated: dict[str, tuple[str, str]] = field(default_factory=dict)
    functions: dict[str, str] = field(default_factory=dict)
    defines: dict[str, str] = field(default_factory=dict)


def parse_c(text: str) -> FileFacts:
    lines, guards = preprocess(text)
    body = "\n".join(lines)
    # line number of each offset, to find an entry's guard
    line_starts = [0]
    for ln in lines:
        line_starts.append(line_starts[-1] + len(ln) + 1)

    def guard_at(off: int) -> tuple[str, ...]:
        lo, hi = 0, len(line_starts) - 1
        while lo < hi - 1:
            mid = (lo + hi) // 2
            if line_starts[mid] <= off:
                lo = mid
            else:
                hi = mid
        return guards[lo]

    ff = FileFacts()
    for m in re.finditer(r"ngx_command_t\s+(\w+)\s*\[\s*\]\s*=\s*\{", body):
        arr = m.group(1)
        end = braces(body, m.end() - 1)
        inner_start = m.end()
        cmds: list[Command] = []
        i = inner_start
        while i < end - 1:
            j = body.find("{", i, end - 1)
            if j < 0:
                break
            k = braces(body, j)
            fields = split_top(body[j + 1:k - 1])
            i = k
            if not fields:
                continue
            nm = re.fullmatch(r'ngx_string\(\s*"([^"]*)"\s*\)', fields[0])
            if not nm:
                continue
            if len(fields) != 6:
                warn(f"{arr}: odd command entry {fields!r}")
                continue
            cmds.append(Command(nm.group(1), fields[1], fields[2],
                                fields[5], guard_at(j)))
        ff.commands[arr] = cmds

    for m in re.finditer(r"ngx_module_t\s+(\w+)\s*=\s*\{", body):
        end = braces(body, m.end() - 1)
        fields = split_top(body[m.end():end - 1])
        if len(fields) >= 4 and fields[0] == "NGX_MODULE_V1":
            ff.modules.append((m.group(1), fields[2], fields[3]))

    for m in re.finditer(
            r"ngx_conf_(?:enum|bitmask)_t\s+(\w+)\s*\[\s*\]\s*=\s*\{", body):
        end = braces(body, m.end() - 1)
        ff.enums[m.group(1)] = re.findall(r'ngx_string\(\s*"([^"]*)"\s*\)',
                                          body[m.end():end])

    for m in re.finditer(
            r"ngx_conf_num_bounds_t\s+(\w+)\s*=\s*\{\s*"
            r"ngx_conf_check_num_bounds\s*,\s*(-?\d+)\s*,\s*(-?\d+)\s*\}",
            body):
        ff.bounds[m.group(1)] = (int(m.group(2)), int(m.group(3)))

    for m in re.finditer(
            r'ngx_conf_deprecated_t\s+(\w+)\s*=\s*\{\s*ngx_conf_deprecated\s*,'
            r'\s*"([^"]*)"\s*,\s*"([^"]*)"\s*\}', body):
        ff.deprecated[m.group(1)] = (m.group(2), m.group(3))

    # function definitions: "name(" at column 0, body up to "}" at column 0
    for m in re.finditer(r"^(\w+)\([^;]*?\)\s*\n\{", body, re.M):
        end = body.find("\n}", m.end())
        ff.functions[m.group(1)] = body[m.end():end if end > 0 else None]

    for m in re.finditer(r"^#\s*define\s+(NGX_\w+)[ \t]+((?:.*\\\n)*.*)$",
                         "\n".join(strip_comments(text).split("\n")), re.M):
        ff.defines[m.group(1)] = m.group(2).replace("\\\n", " ").strip()
    return ff


def eval_macro(name: str, defines: dict[str, str], depth: int = 0) -> int:
    if depth > 10 or name not in defines:
        raise KeyError(name)
    return eval_flags(defines[name], defines, depth + 1)


def eval_flags(expr: str, defines: dict[str, str], depth: int = 0) -> int:
    v = 0
    for tok in re.split(r"\|", expr.replace("(", " ").replace(")", " ")):
        tok = tok.strip()
        if not tok:
            continue
        if re.fullmatch(r"0x[0-9a-fA-F]+|\d+", tok):
            v |= int(tok, 0)
        else:
            v |= eval_macro(tok, defines, depth)
    return v


# --------------------------------------------------------------------------
# Build configuration: which modules the packages link, per release.
# --------------------------------------------------------------------------

def parse_options(text: str) -> tuple[dict[str, str], dict[str, tuple[str,
                                                                        str]]]:
    defaults = {}
    for m in re.finditer(r"^([A-Z][A-Z0-9_]*)=(YES|NO|NONE)\s*$", text, re.M):
        defaults.setdefault(m.group(1), m.group(2))
    opts = {}
    for m in re.finditer(r"(--with[-\w.=]+)\)\s*([A-Z][A-Z0-9_]*)=(\w+)",
                         text):
        opts[m.group(1)] = (m.group(2), m.group(3))
    return defaults, opts


def package_env(options_text: str, configure: list[str]) -> dict[str, str]:
    defaults, opts = parse_options(options_text)
    env = dict(defaults)
    env.update(IMPLIED_ENV)
    for o in configure:
        if o in opts:
            var, val = opts[o]
            env[var] = val
    if env.get("HTTP_V3") == "YES":
        env["USE_OPENSSL_QUIC"] = "YES"
        env["QUIC_BPF"] = "YES"
    return env


def eval_sh_cond(cond: str, env: dict[str, str]) -> bool | None:
    m = re.fullmatch(r"\[\s*(.*?)\s*\]", cond.strip())
    if not m:
        return None
    result_or = False
    for alt in re.split(r"\s-o\s", m.group(1)):
        ok = True
        for term in re.split(r"\s-a\s", alt):
            t = re.fullmatch(r'"?\$(\w+)"?\s*(!?=)\s*"?(\w+)"?', term.strip())
            if not t:
                return None
            val = env.get(t.group(1), "NO")
            eq = val == t.group(3)
            ok = ok and (eq if t.group(2) == "=" else not eq)
        result_or = result_or or ok
    return result_or


@dataclass
class ModuleBuild:
    conds: list[str]
    link: str


def parse_auto_modules(text: str) -> dict[str, ModuleBuild]:
    """Every `. auto/module` call: module names, enclosing ifs, link."""
    res: dict[str, ModuleBuild] = {}
    stack: list[str] = []
    names: list[str] = []
    link = "YES"
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        s = lines[i].strip()
        i += 1
        m = re.match(r"if\s+(.*?);\s*then\s*$", s)
        if m:
            stack.append(m.group(1))
            continue
        m = re.match(r"elif\s+(.*?);\s*then\s*$", s)
        if m and stack:
            stack[-1] = m.group(1)
            continue
        if s == "else" and stack:
            stack[-1] = "else"
            continue
        if s == "fi" and stack:
            stack.pop()
            continue
        m = re.match(r"ngx_module_name=(.*)$", s)
        if m:
            val = m.group(1)
            if val.startswith('"') and not (len(val) > 1 and
                                            val.endswith('"')):
                while i < len(lines) and not val.rstrip().endswith('"'):
                    val += " " + lines[i].strip().rstrip("\\")
                    i += 1
            names = [n for n in val.replace('"', " ").replace("\\", " ").split()
                     if not n.startswith("$")]
            continue
        m = re.match(r"ngx_module_link=(\S*)$", s)
        if m:
            link = m.group(1)
            continue
        if s == ". auto/module":
            for n in names:
                res.setdefault(n, ModuleBuild(list(stack), link))
    return res


def packaging(mod: str, builds: dict[str, ModuleBuild],
              env: dict[str, str], dyn_pkgs: dict[str, str]) -> str:
    """Rust `Packaging` expression for one module in one package family."""
    if mod in NOT_ON_LINUX:
        return "P::No"
    if mod not in builds:
        if mod not in ALWAYS_BUILT:
            warn(f"{mod}: not in auto/modules nor ALWAYS_BUILT; "
                 "assuming it is built")
        return "P::Static"
    b = builds[mod]
    dynamic_var = None
    link = b.link
    if link.startswith("$"):
        val = env.get(link[1:], "NO")
        if val in ("NO", "NONE"):
            return "P::No"
        if val == "DYNAMIC":
            dynamic_var = link[1:]      # a .so of its own
    for c in b.conds:
        if c == "else":
            continue
        r = eval_sh_cond(c, env)
        if r is False:
            return "P::No"
        for var in re.findall(r"\$(\w+)", c):
            if env.get(var) == "DYNAMIC":   # e.g. inside MAIL=DYNAMIC
                dynamic_var = dynamic_var or var
    if dynamic_var is None:
        return "P::Static"
    so = {"MAIL": "ngx_mail_module",
          "STREAM": "ngx_stream_module"}.get(dynamic_var, mod)
    pkg = dyn_pkgs.get(so, "")
    return f'P::Dynamic {{ object: "{so}.so", package: "{pkg}" }}'


# --------------------------------------------------------------------------
# One release -> facts
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Facts:
    ctx: int
    args: int
    handler: str          # Rust expression
    values: tuple[str, ...]
    bounds: tuple[int, int] | None
    replaced_by: str | None
    obsolete: bool
    dup: str              # "Always" | "Custom" | "Never"
    raw_block: bool
    guard: str


class Extractor:
    def __init__(self, src):
        self.src = src
        self.cache: dict[str, FileFacts] = {}

    def facts(self, path: str) -> FileFacts:
        key = self.src.key(path)
        if key not in self.cache:
            self.cache[key] = parse_c(self.src.read(path))
        return self.cache[key]

    def release(self, tag: str):
        src = self.src
        src.select(tag)
        paths = src.paths()
        defines: dict[str, str] = {}
        for h in HEADERS:
            if h in paths:
                defines.update(self.facts(h).defines)
        for k, v in ARG_BITS_EXPECTED.items():
            if eval_macro(k, defines) != v:
                sys.exit(f"{tag}: {k} changed value; update directives.rs")
        ctx_macro_bits = {k: eval_macro(k, defines) for k in CTX_MACROS
                          if k in defines}

        cfiles = [p for p in paths if p.startswith("src/") and
                  p.endswith(".c")]
        all_ff = {p: self.facts(p) for p in cfiles}
        enums: dict[str, list[str]] = {}
        bounds: dict[str, tuple[int, int]] = {}
        depr: dict[str, tuple[str, str]] = {}
        funcs: dict[str, str] = {}
        for ff in all_ff.values():
            enums.update(ff.enums)
            bounds.update(ff.bounds)
            depr.update(ff.deprecated)
            funcs.update(ff.functions)

        raw_funcs = {f for f, b in funcs.items()
                     if re.search(r"\bcf->handler\s*=", b)}
        for f, b in funcs.items():
            set_types = set(re.findall(r"\bcf->cmd_type\s*=\s*(\w+)", b))
            if set_types and EXPECTED_BLOCK_FUNCS.get(f) != set_types:
                warn(f"{tag}: {f} sets cmd_type {sorted(set_types)}; "
                     "update Context::child() in directives.rs")

        opts = src.read("auto/options") if "auto/options" in paths else ""
        autom = src.read("auto/modules") if "auto/modules" in paths else ""
        builds = parse_auto_modules(autom)
        env_deb = package_env(opts, DEBIAN_CONFIGURE)
        env_org = package_env(opts, NGINX_ORG_CONFIGURE)

        modules = {}
        directives = {}
        for path, ff in all_ff.items():
            for mod, cmds_name, mtype in ff.modules:
                if cmds_name == "NULL" or cmds_name not in ff.commands:
                    continue
                kind = MODULE_KINDS.get(mtype)
                if kind is None:
                    warn(f"{tag}: {mod}: unknown module type {mtype}")
                    continue
                deb = packaging(mod, builds, env_deb, DEBIAN_DYN_PKG)
                org = packaging(mod, builds, env_org, NGINX_ORG_DYN_PKG)
                if deb == "P::No" and org == "P::No":
                    continue
                modules[mod] = (kind, path, deb, org)
                for c in ff.commands[cmds_name]:
                    directives[(c.name, mod)] = self.command_facts(
                        tag, mod, kind, c, defines, ctx_macro_bits, enums,
                        bounds, depr, funcs, raw_funcs)
        return modules, directives

    @staticmethod
    def command_facts(tag, mod, kind, c: Command, defines, ctx_macro_bits,
                      enums, bounds, depr, funcs, raw_funcs) -> Facts:
        flags = eval_flags(c.flags, defines)
        args = flags & 0xFFFF         # NGX_CONF_* argument bits
        ctx = 0
        if kind == "Conf":
            if flags & 0xFF000000 == 0xFF000000:   # NGX_ANY_CONF
                ctx = CTX_ALL
        else:
            for macro, (mkind, cname) in CTX_MACROS.items():
                if mkind != kind or macro not in ctx_macro_bits:
                    continue
                if flags & ctx_macro_bits[macro]:
                    ctx |= CTX[cname]
        if ctx == 0:
            warn(f"{tag}: {c.name} ({mod}): no context decoded from "
                 f"{c.flags}")
        post = c.post.strip()
        post_name = post[1:].strip() if post.startswith("&") else post
        post_name = re.sub(r"\[0\]$", "", post_name)
        slot = SLOTS.get(c.handler)
        body = funcs.get(c.handler, "")
        wrapped = None
        if slot:
            handler = f"H::Slot(S::{slot})"
        else:
            # "rv = ngx_conf_set_X_slot(cf, cmd, conf); if (rv != NGX_CONF_OK)
            #  return rv;" first: the slot's checks and messages apply.
            m = re.search(r"rv\s*=\s*(ngx_conf_set_\w+_slot)\(cf,\s*cmd,\s*conf\);"
                          r"\s*if\s*\(rv\s*!=\s*NGX_CONF_OK\)\s*\{\s*return rv;",
                          body)
            if m and m.group(1) in SLOTS:
                wrapped = SLOTS[m.group(1)]
                handler = f'H::Wraps(S::{wrapped}, "{c.handler}")'
            else:
                handler = f'H::Custom("{c.handler}")'
        values: tuple[str, ...] = ()
        if (slot or wrapped) in ("Enum", "Bitmask"):
            if post_name not in enums:
                warn(f"{tag}: {c.name}: value array {post} not found")
            values = tuple(enums.get(post_name, []))
        b = bounds.get(post_name)
        replaced = depr[post_name][1] if post_name in depr else None
        obsolete = "is obsolete" in body
        says_dup = says_duplicate(c.handler, funcs, 3)
        if slot or wrapped:
            # a wrapper runs the slot first, so the slot's rule holds
            dup = "Always" if says_dup else "Never"
        else:
            dup = "Custom" if says_dup else "Never"
        raw = c.handler in raw_funcs
        if args & 0x100 and not raw and c.name not in CONTEXT_BLOCKS:
            warn(f"{tag}: new block directive {c.name} ({mod}); "
                 "update Context::child() in directives.rs")
        guard = " && ".join(strip_parens(g) for g in c.guard)
        return Facts(ctx, args, handler, values, b, replaced, obsolete, dup,
                     raw, guard)


def strip_parens(g: str) -> str:
    g = g.strip()
    while g.startswith("(") and g.endswith(")") and g.count("(") == 1:
        g = g[1:-1].strip()
    return g


def says_duplicate(fn: str, funcs: dict[str, str], depth: int) -> bool:
    """Can `fn` (or what it calls, a few levels down) return "is duplicate"?"""
    body = funcs.get(fn)
    if body is None:
        return False
    if '"is duplicate"' in body:
        return True
    if depth == 0:
        return False
    for callee in set(re.findall(r"\b(ngx_\w+)\s*\(", body)):
        if callee != fn and callee in funcs and \
                says_duplicate(callee, funcs, depth - 1):
            return True
    return False


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------

def rs_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def v(t: tuple[int, int, int]) -> str:
    return f"V({t[0]}, {t[1]}, {t[2]})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--git-dir", help="nginx git directory (bare is fine)")
    g.add_argument("--source-tree", help="one unpacked nginx source tree")
    ap.add_argument("--since", default="1.18.0",
                    help="oldest release to include (default 1.18.0)")
    ap.add_argument("--out", required=True, help="output .rs file")
    a = ap.parse_args()

    if a.git_dir:
        src = GitSource(a.git_dir)
        since = vtuple("release-" + a.since)
        tags = sorted((t for t in src.tags() if vtuple(t) >= since),
                      key=vtuple)
        origin = "git"
    else:
        src = TreeSource(a.source_tree)
        tags = [src.version_tag()]
        origin = "source tree"
    if not tags:
        sys.exit("no release tags found")

    ex = Extractor(src)
    per_tag = []
    all_modules: dict[str, tuple] = {}
    for t in tags:
        mods, dirs = ex.release(t)
        per_tag.append(dirs)
        for m, info in mods.items():
            all_modules[m] = info          # newest wins
        print(f"{t}: {len(mods)} modules, {len(dirs)} directives",
              file=sys.stderr)

    mod_names = sorted(all_modules)
    mod_index = {m: i for i, m in enumerate(mod_names)}

    # runs of identical facts over consecutive releases
    rows = []
    keys = sorted({k for d in per_tag for k in d})
    for key in keys:
        run_start, run_facts = None, None
        for i, d in enumerate(per_tag + [{}]):
            f = d.get(key)
            if f != run_facts:
                if run_facts is not None:
                    rows.append((key, run_facts, tags[run_start], tags[i - 1]))
                run_start, run_facts = i, f
    rows.sort(key=lambda r: (r[0][0], r[0][1], vtuple(r[2])))

    value_sets: dict[tuple[str, ...], str] = {}
    for _k, f, _a, _b in rows:
        if f.values and f.values not in value_sets:
            value_sets[f.values] = f"E{len(value_sets)}"

    out = []
    w = out.append
    w("// @generated by tools/gen-directives.py -- do not edit by hand.")
    w(f"// Source: nginx {origin}, {tags[0]} .. {tags[-1]} "
      f"({len(tags)} releases).")
    w("// Facts only (names, flag bits, value lists, versions) read from")
    w("// nginx's ngx_command_t arrays; see tools/README.md to regenerate.")
    w("")
    w("use super::{Directive as D, Dup, Handler as H, Module, "
      "ModuleKind as K, Packaging as P, Slot as S, Version as V, d};")
    w("")
    w("/// Oldest release the table covers.")
    w(f"pub const OLDEST: V = {v(vtuple(tags[0]))};")
    w("/// Newest release the table covers.")
    w(f"pub const NEWEST: V = {v(vtuple(tags[-1]))};")
    w("")
    w("/// Every release tag read, oldest first.")
    w(f"pub static RELEASES: [V; {len(tags)}] = [")
    for i in range(0, len(tags), 6):
        w("    " + " ".join(v(vtuple(t)) + "," for t in tags[i:i + 6]))
    w("];")
    w("")
    w(f"pub(super) static MODULES: [Module; {len(mod_names)}] = [")
    for m in mod_names:
        kind, path, deb, org = all_modules[m]
        w(f"    Module {{ name: {rs_str(m)}, kind: K::{kind}, "
          f"source: {rs_str(path)}, debian: {deb}, nginx_org: {org} }},")
    w("];")
    w("")
    for vals, name in value_sets.items():
        w(f"static {name}: [&str; {len(vals)}] = "
          f"[{', '.join(rs_str(x) for x in vals)}];")
    w("")
    w("/// Sorted by (name, module, first release). Columns of `d()`: name,")
    w("/// module (index into MODULES), contexts (Context bits), args (nginx")
    w("/// NGX_CONF_* argument bits), handler, enum/bitmask values, num bounds,")
    w("/// replacement named by ngx_conf_deprecated, obsolete, duplicate rule,")
    w("/// raw block (custom cf->handler), #if guard, first release, last release.")
    w(f"pub(super) static DIRECTIVES: [D; {len(rows)}] = [")
    for (name, mod), f, first, last in rows:
        vals = f"&{value_sets[f.values]}" if f.values else "&[]"
        bounds = (f"Some(({f.bounds[0]}, {f.bounds[1]}))" if f.bounds
                  else "None")
        repl = f"Some({rs_str(f.replaced_by)})" if f.replaced_by else "None"
        w(f"    d({rs_str(name)}, {mod_index[mod]}, 0x{f.ctx:04x}, "
          f"0x{f.args:04x}, {f.handler}, {vals}, {bounds}, {repl}, "
          f"{str(f.obsolete).lower()}, Dup::{f.dup}, "
          f"{str(f.raw_block).lower()}, {rs_str(f.guard)}, "
          f"{v(vtuple(first))}, {v(vtuple(last))}),")
    w("];")
    with open(a.out, "w") as fh:
        fh.write("\n".join(out) + "\n")
    print(f"wrote {a.out}: {len(rows)} rows, {len(mod_names)} modules, "
          f"{len(value_sets)} value lists", file=sys.stderr)


if __name__ == "__main__":
    main()
