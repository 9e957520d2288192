//! The import rules of docs/architecture.md, checked on the source: which module may
//! import which, that only `cli` and `commands` know clap, and that no import circle
//! joins files of different modules (inside a module, a circle must be named in the
//! module's documentation with its reason).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module and the top-level modules it may import. The order is the
/// layering, bottom first; `lib` (the crate root) only declares and re-exports.
const LAYERS: &[(&str, &[&str])] = &[
    ("error", &[]),
    ("util", &[]),
    ("config", &["util"]),
    ("certs", &["util"]),
    ("model", &["config", "certs", "util"]),
    ("verify", &["model", "config", "certs", "util"]),
    ("rules", &["verify", "model", "config", "certs", "util"]),
    ("probe", &["verify", "model", "config", "certs", "util"]),
    ("logs", &["config", "certs", "util", "error"]),
    ("settings", &["rules", "config", "util", "error"]),
    (
        "report",
        &[
            "logs", "rules", "verify", "model", "config", "certs", "util",
        ],
    ),
    ("cli", &["logs", "util"]),
    (
        "commands",
        &[
            "cli", "settings", "report", "logs", "rules", "probe", "verify", "model", "config",
            "certs", "util", "error",
        ],
    ),
];

/// Modules that may name clap.
const CLAP: &[&str] = &["cli", "commands"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// A source file's module path: `src/logs/follow.rs` -> `["logs", "follow"]`.
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

/// The code with comments and the contents of string and character literals blanked
/// (newlines kept), so that only real paths are seen.
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if b[i] == b'\n' {
                        out.push(b'\n');
                    }
                    i += 1;
                }
            }
        } else if c == b'r'
            && (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#'))
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        {
            // Raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            while j < b.len() && !b[j..].starts_with(&close) {
                if b[j] == b'\n' {
                    out.push(b'\n');
                }
                j += 1;
            }
            out.extend_from_slice(b"\"\"");
            i = j + close.len();
        } else if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                if b.get(i) == Some(&b'\n') {
                    out.push(b'\n');
                }
                i += 1;
            }
            out.extend_from_slice(b"\"\"");
            i += 1;
        } else if c == b'\'' {
            // A character literal ('x', '\n', '\u{1F}'), or a lifetime ('a).
            let end = if b.get(i + 1) == Some(&b'\\') {
                b[i + 2..]
                    .iter()
                    .position(|&x| x == b'\'')
                    .map(|p| i + 2 + p)
            } else if b.get(i + 2) == Some(&b'\'') {
                Some(i + 2)
            } else {
                std::str::from_utf8(&b[i + 1..])
                    .ok()
                    .and_then(|s| s.chars().next())
                    .filter(|ch| !ch.is_ascii())
                    .map(|ch| i + 1 + ch.len_utf8())
                    .filter(|&e| b.get(e) == Some(&b'\''))
            };
            match end {
                Some(e) => {
                    out.extend_from_slice(b"' '");
                    i = e + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Expands `a::{b, c::{d, e}}` into `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, ch) in inner.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(p).into_iter().map(move |e| format!("{prefix}{e}")))
        .collect()
}

/// Every path the file names that starts at `crate`, `$crate`, `super` or `self`,
/// with the number of inline modules (`mod tests { ... }`) around it.
fn paths(code: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    // Inline modules: the brace depth at which each one opened.
    let mut inline: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let bytes = code.as_bytes();
    let mut i = 0;
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut pending_mod = false;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'{' {
            depth += 1;
            if pending_mod {
                inline.push(depth);
                pending_mod = false;
            }
            i += 1;
            continue;
        }
        if c == b'}' {
            if inline.last() == Some(&depth) {
                inline.pop();
            }
            depth = depth.saturating_sub(1);
            i += 1;
            continue;
        }
        if c == b';' {
            pending_mod = false;
        }
        let boundary = i == 0 || !(ident(bytes[i - 1]) || bytes[i - 1] == b':');
        if boundary && code[i..].starts_with("mod ") {
            pending_mod = true;
        }
        if boundary && code[i..].starts_with("use ") {
            let end = code[i..].find(';').map_or(code.len(), |e| i + e);
            for p in expand(&code[i + 4..end]) {
                out.push((p, inline.len()));
            }
            i = end;
            continue;
        }
        // A path: `crate::a::b`, `super::c`, or `name::d` (a child module, or a name
        // from elsewhere, which the caller sorts out).
        if boundary && (ident(c) || c == b'$') && (c == b'$' || !c.is_ascii_digit()) {
            let mut j = i + 1;
            while j < bytes.len() && (ident(bytes[j]) || code[j..].starts_with("::")) {
                j += if bytes[j] == b':' { 2 } else { 1 };
            }
            let p = code[i..j].trim_start_matches('$');
            if p.contains("::") {
                out.push((p.to_string(), inline.len()));
            }
            i = j.max(i + 1);
            continue;
        }
        i += 1;
    }
    out
}

struct Tree {
    /// Module path -> file.
    files: BTreeMap<Vec<String>, PathBuf>,
    /// File -> files it imports (other than itself).
    edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
    /// File -> (module path it names, the path as written).
    clap: Vec<(PathBuf, String)>,
}

fn read_tree() -> Tree {
    let root = src();
    let mut files = BTreeMap::new();
    for e in walkdir::WalkDir::new(&root) {
        let e = e.expect("walk src");
        if e.path().extension().is_some_and(|x| x == "rs") {
            let rel = e
                .path()
                .strip_prefix(&root)
                .expect("under src")
                .to_path_buf();
            if rel == Path::new("main.rs") {
                continue;
            }
            files.insert(module_of(&rel), e.path().to_path_buf());
        }
    }
    // `#[macro_export]` puts a macro at the crate root: `crate::name!` is an import of
    // the file that defines it.
    let mut macros: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut codes = BTreeMap::new();
    for (module, path) in &files {
        let text = std::fs::read_to_string(path).expect("read source");
        let code = code_only(&text);
        for part in code.split("#[macro_export]").skip(1) {
            if let Some(rest) = part.trim_start().strip_prefix("macro_rules!") {
                let name: String = rest
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                macros.insert(name, module.clone());
            }
        }
        codes.insert(module.clone(), code);
    }
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    let mut clap = Vec::new();
    for (module, path) in &files {
        let code = &codes[module];
        if code
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .any(|w| w == "clap")
        {
            clap.push((path.clone(), module.join("::")));
        }
        let set = edges.entry(module.clone()).or_default();
        for (p, inline) in paths(code) {
            let mut segs: Vec<&str> = p.split("::").filter(|s| !s.is_empty()).collect();
            // Where the path starts: the crate root, or this file's module with the
            // inline modules around the reference.
            let mut base: Vec<String> = Vec::new();
            let mut inline_left = inline;
            match segs.first().copied() {
                Some("crate") => {
                    segs.remove(0);
                }
                Some("super") | Some("self") => {
                    base = module.clone();
                    while let Some(&s) = segs.first() {
                        if s == "self" {
                            segs.remove(0);
                        } else if s == "super" {
                            segs.remove(0);
                            if inline_left > 0 {
                                inline_left -= 1;
                            } else {
                                base.pop();
                            }
                        } else {
                            break;
                        }
                    }
                }
                Some(first) if inline == 0 => {
                    // `use child::x` or `child::f()` in a mod.rs: relative to this module.
                    let mut child = module.clone();
                    child.push(first.to_string());
                    if !files.contains_key(&child) {
                        continue;
                    }
                    base = module.clone();
                }
                _ => continue,
            }
            let mut full = base;
            full.extend(segs.iter().map(|s| s.to_string()));
            if full.len() == 1
                && let Some(m) = macros.get(&full[0])
            {
                full = m.clone();
            }
            // The longest prefix that is a file of the crate.
            let target = (0..=full.len())
                .rev()
                .map(|n| full[..n].to_vec())
                .find(|m| files.contains_key(m));
            if let Some(t) = target
                && &t != module
            {
                set.insert(t);
            }
        }
    }
    Tree { files, edges, clap }
}

fn top(m: &[String]) -> &str {
    m.first().map_or("lib", String::as_str)
}

/// Strongly connected components of more than one file (Tarjan).
fn circles(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<Vec<String>>> {
    struct S<'a> {
        edges: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on: BTreeSet<&'a Vec<String>>,
        next: usize,
        out: Vec<Vec<Vec<String>>>,
    }
    fn visit<'a>(s: &mut S<'a>, v: &'a Vec<String>) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on.insert(v);
        if let Some(ws) = s.edges.get(v) {
            for w in ws {
                let Some((w, _)) = s.edges.get_key_value(w) else {
                    continue;
                };
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let lw = s.low[w];
                    let lv = s.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if s.on.contains(w) {
                    let iw = s.index[w];
                    let lv = s.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                comp.push(w.clone());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.out.push(comp);
            }
        }
    }
    let mut s = S {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

#[test]
fn layer_table_is_a_layering() {
    // Every module may only import modules listed before it: no circle is possible.
    let names: Vec<&str> = LAYERS.iter().map(|(n, _)| *n).collect();
    for (i, (name, allowed)) in LAYERS.iter().enumerate() {
        for a in *allowed {
            let pos = names.iter().position(|n| n == a);
            assert!(
                pos.is_some_and(|p| p < i),
                "{name} may import {a}, which is not below it"
            );
        }
    }
}

#[test]
fn every_import_follows_the_layers() {
    let tree = read_tree();
    let allowed: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let mut bad = Vec::new();
    for (from, tos) in &tree.edges {
        let f = top(from);
        if f == "lib" {
            continue;
        }
        let Some(ok) = allowed.get(f) else {
            bad.push(format!(
                "{}: module `{f}` is not in LAYERS (tests/architecture.rs, docs/architecture.md)",
                tree.files[from].display()
            ));
            continue;
        };
        for to in tos {
            let t = top(to);
            if t != f && !ok.contains(&t) {
                bad.push(format!(
                    "{} imports {} (`{f}` may import only {:?})",
                    tree.files[from].display(),
                    to.join("::"),
                    ok
                ));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "imports against docs/architecture.md:\n{}",
        bad.join("\n")
    );
}

#[test]
fn only_cli_and_commands_know_clap() {
    let tree = read_tree();
    let bad: Vec<String> = tree
        .clap
        .iter()
        .filter(|(_, m)| !CLAP.contains(&m.split("::").next().unwrap_or("")))
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert!(
        bad.is_empty(),
        "clap named outside cli and commands: {bad:?}"
    );
}

#[test]
fn no_import_circle_between_modules_and_each_inner_one_explained() {
    let tree = read_tree();
    let mut bad = Vec::new();
    for comp in circles(&tree.edges) {
        let tops: BTreeSet<&str> = comp.iter().map(|m| top(m)).collect();
        let names: Vec<String> = comp.iter().map(|m| m.join("::")).collect();
        if tops.len() > 1 {
            bad.push(format!("circle across modules: {}", names.join(" <-> ")));
            continue;
        }
        // Inside one module: its mod.rs must name every file of the circle on a line
        // that says "import circle".
        let module = vec![comp[0][0].clone()];
        let doc = tree
            .files
            .get(&module)
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default();
        let explained = doc
            .lines()
            .filter(|l| l.starts_with("//!"))
            .collect::<Vec<_>>()
            .join(" ");
        let explained = explained.split("Import circle:").skip(1).any(|part| {
            comp.iter()
                .all(|m| part.contains(&format!("{}.rs", m[m.len() - 1])))
        });
        if !explained {
            bad.push(format!(
                "circle inside `{}` not explained in its mod.rs (a `//! Import circle: a.rs <-> b.rs: why` line): {}",
                module[0],
                names.join(" <-> ")
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The checker itself: it must see the paths it is meant to see.
#[test]
fn checker_reads_paths_as_rust_does() {
    let code = code_only(
        "use crate::{a::{b, c}, d};\n// crate::comment::x\nlet s = \"crate::string\";\nfn f() { crate::e::f(); }\nmod tests { use super::*; use super::super::g; }\nlet c = '{';",
    );
    let found: Vec<(String, usize)> = paths(&code);
    let names: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        names,
        [
            "crate::a::b",
            "crate::a::c",
            "crate::d",
            "crate::e::f",
            "super::*",
            "super::super::g"
        ]
    );
    assert_eq!(found[4].1, 1, "inside `mod tests`");
    let code = code_only("pub use support::{A, B};\nfn f() { batch::run(x::y) }");
    let names: Vec<String> = paths(&code).into_iter().map(|(p, _)| p).collect();
    assert_eq!(names, ["support::A", "support::B", "batch::run", "x::y"]);
    assert_eq!(module_of(Path::new("logs/mod.rs")), ["logs"]);
    assert_eq!(module_of(Path::new("logs/follow.rs")), ["logs", "follow"]);
}
