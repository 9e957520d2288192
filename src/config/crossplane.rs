//! crossplane-compatible JSON (`crossplane parse` output), so that tools written against
//! crossplane's schema read ours unchanged:
//! `{status, errors[{file, line, error}], config[{file, status, errors[{line, error}],
//! parsed[{directive, line, args, includes?, block?}]}]}`.
//!
//! Differences from crossplane are where crossplane differs from nginx; they are listed
//! in `grammar-tests/DIVERGENCES.md`.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::PathBuf;

use super::ast::{Directive, FileId, Span, SyntaxError, Word};
use super::load::Config;
use super::parser::{MAX_DEPTH, Part, Sink, parse_part, parse_with};
use super::source::SourceFile;
use crate::util::read::two_cpus;

#[derive(Debug)]
pub struct Payload<'a> {
    pub status: &'static str,
    pub errors: Vec<PayloadError>,
    pub config: Vec<FileEntry<'a>>,
    /// The files each `include` directive read (by its span).
    includes: Option<&'a HashMap<Span, Vec<FileId>>>,
}

#[derive(Debug)]
pub struct PayloadError {
    pub file: String,
    pub error: String,
    pub line: Option<usize>,
}

#[derive(Debug)]
pub struct FileEntry<'a> {
    pub file: String,
    pub status: &'static str,
    pub errors: Vec<FileError>,
    pub parsed: Parsed<'a>,
}

/// A file's `parsed` list.
#[derive(Debug)]
pub enum Parsed<'a> {
    /// The top-level directives of a parsed file, and its bytes (for line numbers).
    Tree {
        directives: &'a [Directive],
        src: &'a [u8],
    },
    /// Already written as JSON (in pieces, to be written one after the other), with
    /// the indentation of the payload it belongs to.
    Json(Vec<Vec<u8>>),
}

#[derive(Debug)]
pub struct FileError {
    pub error: String,
    pub line: Option<usize>,
}

/// How JSON escapes a byte inside a string: 0 for not at all, `u` for `\\u00XX`, else
/// the letter after the backslash (serde_json's choices, so the output is the same).
const ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = b'u';
        b += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0A] = b'n';
    t[0x0C] = b'f';
    t[0x0D] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// A JSON writer for the payload: compact, or indented the way serde_json's pretty
/// printer indents. Written by hand because the payload of a large configuration is
/// mostly short strings, and a generic serializer spent more time than the parser.
struct Json {
    buf: Vec<u8>,
    indent: Option<usize>,
    depth: usize,
    /// Whether the innermost array or object has no element yet.
    empty: bool,
}

/// How deep a file's `parsed` list sits in the payload: `{"config": [{"parsed": `.
const PARSED_DEPTH: usize = 3;

impl Json {
    fn new(indent: Option<usize>, depth: usize) -> Json {
        Json {
            buf: Vec::with_capacity(1 << 17),
            indent,
            depth,
            empty: true,
        }
    }

    /// Passes what was written on to `out` once there is enough of it.
    fn flush_if_full(&mut self, out: &mut impl Write) -> io::Result<()> {
        if self.buf.len() >= 1 << 16 {
            out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    fn newline(&mut self) {
        if let Some(n) = self.indent {
            self.buf.push(b'\n');
            self.buf.resize(self.buf.len() + n * self.depth, b' ');
        }
    }

    fn begin(&mut self, open: u8) {
        self.buf.push(open);
        self.depth += 1;
        self.empty = true;
    }

    fn end(&mut self, close: u8) {
        self.depth -= 1;
        if !self.empty {
            self.newline();
        }
        self.buf.push(close);
        self.empty = false;
    }

    /// Before an array element.
    fn item(&mut self) {
        if !self.empty {
            self.buf.push(b',');
        }
        self.newline();
        self.empty = false;
    }

    fn key(&mut self, key: &str) {
        self.item();
        self.str(key);
        self.buf.push(b':');
        if self.indent.is_some() {
            self.buf.push(b' ');
        }
    }

    fn str(&mut self, s: &str) {
        let s = s.as_bytes();
        self.buf.push(b'"');
        let mut from = 0;
        for (i, &b) in s.iter().enumerate() {
            let e = ESCAPE[b as usize];
            if e == 0 {
                continue;
            }
            self.buf.extend_from_slice(&s[from..i]);
            if e == b'u' {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                self.buf.extend_from_slice(b"\\u00");
                self.buf.push(HEX[(b >> 4) as usize]);
                self.buf.push(HEX[(b & 15) as usize]);
            } else {
                self.buf.extend_from_slice(&[b'\\', e]);
            }
            from = i + 1;
        }
        self.buf.extend_from_slice(&s[from..]);
        self.buf.push(b'"');
    }

    fn num(&mut self, n: usize) {
        let mut digits = [0u8; 20];
        let mut k = digits.len();
        let mut n = n;
        loop {
            k -= 1;
            digits[k] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.buf.extend_from_slice(&digits[k..]);
    }

    fn str_field(&mut self, key: &str, value: &str) {
        self.key(key);
        self.str(value);
    }

    fn errors<'e>(
        &mut self,
        errors: impl Iterator<Item = (Option<&'e str>, &'e str, Option<usize>)>,
    ) {
        self.begin(b'[');
        for (file, error, line) in errors {
            self.item();
            self.begin(b'{');
            if let Some(f) = file {
                self.str_field("file", f);
            }
            self.str_field("error", error);
            self.key("line");
            match line {
                Some(n) => self.num(n),
                None => self.buf.extend_from_slice(b"null"),
            }
            self.end(b'}');
        }
        self.end(b']');
    }

    /// An array element `{"directive": name, "line": line, "args": [...]`, left open
    /// for `includes` and `block`.
    fn directive(&mut self, name: &Word, args: &[Word], line: usize) {
        if self.indent.is_none() {
            // Compact: the keys as literals, the same bytes as the general path below.
            if !self.empty {
                self.buf.push(b',');
            }
            self.buf.extend_from_slice(b"{\"directive\":");
            self.str(&name.as_str());
            self.buf.extend_from_slice(b",\"line\":");
            self.num(line);
            self.buf.extend_from_slice(b",\"args\":");
            self.depth += 1;
        } else {
            self.item();
            self.begin(b'{');
            self.str_field("directive", &name.as_str());
            self.key("line");
            self.num(line);
            self.key("args");
        }
        self.begin(b'[');
        if name.is("if") {
            let mut args: Vec<String> = args.iter().map(|a| a.as_str().into_owned()).collect();
            strip_if_parens(&mut args);
            for a in &args {
                self.item();
                self.str(a);
            }
        } else {
            for a in args {
                self.item();
                self.str(&a.as_str());
            }
        }
        self.end(b']');
    }

    /// A list of directives from the tree.
    fn directives(
        &mut self,
        list: &[Directive],
        includes: Option<&HashMap<Span, Vec<FileId>>>,
        lines: &mut Lines,
        out: &mut impl Write,
    ) -> io::Result<()> {
        self.begin(b'[');
        for d in list {
            self.directive(&d.name, &d.args, lines.at(d.name.span.start));
            // Only `include` directives have targets: no lookup for the others.
            let targets = match includes {
                Some(map) if d.block.is_none() && d.is("include") => map.get(&d.span),
                _ => None,
            };
            if let Some(files) = targets {
                self.key("includes");
                self.begin(b'[');
                for f in files {
                    self.item();
                    self.num(f.0 as usize);
                }
                self.end(b']');
            }
            if let Some(b) = &d.block {
                self.key("block");
                self.directives(&b.directives, includes, lines, out)?;
            }
            self.end(b'}');
            self.flush_if_full(out)?;
        }
        self.end(b']');
        Ok(())
    }
}

/// Line numbers of increasing offsets in one file, counted as the offsets advance.
struct Lines<'a> {
    src: &'a [u8],
    pos: usize,
    line: usize,
}

impl Lines<'_> {
    fn new(src: &[u8]) -> Lines<'_> {
        Lines::from(src, 0)
    }

    /// Counting from `offset` on.
    fn from(src: &[u8], offset: usize) -> Lines<'_> {
        let offset = offset.min(src.len());
        Lines {
            src,
            pos: offset,
            line: 1 + src[..offset].iter().filter(|&&b| b == b'\n').count(),
        }
    }

    fn at(&mut self, offset: u32) -> usize {
        let offset = (offset as usize).min(self.src.len());
        if offset < self.pos {
            // Not reached for directives written in order; counted again from the start.
            self.pos = 0;
            self.line = 1;
        }
        self.line += self.src[self.pos..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.pos = offset;
        self.line
    }
}

impl Payload<'_> {
    /// Writes the payload as JSON (no final newline): compact, or with `indent` spaces
    /// per level, byte for byte what serde_json writes for the same document.
    pub fn write(&self, indent: Option<usize>, out: &mut impl Write) -> io::Result<()> {
        let mut j = Json::new(indent, 0);
        j.begin(b'{');
        j.str_field("status", self.status);
        j.key("errors");
        j.errors(
            self.errors
                .iter()
                .map(|e| (Some(e.file.as_str()), e.error.as_str(), e.line)),
        );
        j.key("config");
        j.begin(b'[');
        for f in &self.config {
            j.item();
            j.begin(b'{');
            j.str_field("file", &f.file);
            j.str_field("status", f.status);
            j.key("errors");
            j.errors(f.errors.iter().map(|e| (None, e.error.as_str(), e.line)));
            j.key("parsed");
            debug_assert_eq!(j.depth, PARSED_DEPTH);
            match &f.parsed {
                Parsed::Tree { directives, src } => {
                    j.directives(directives, self.includes, &mut Lines::new(src), out)?;
                }
                Parsed::Json(pieces) => {
                    out.write_all(&j.buf)?;
                    j.buf.clear();
                    for piece in pieces {
                        out.write_all(piece)?;
                    }
                }
            }
            j.end(b'}');
        }
        j.end(b']');
        j.end(b'}');
        out.write_all(&j.buf)
    }

    /// The payload as a JSON document.
    pub fn to_vec(&self, indent: Option<usize>) -> Vec<u8> {
        let mut out = Vec::new();
        // Writing to a vector cannot fail.
        let _ = self.write(indent, &mut out);
        out
    }
}

/// crossplane removes the parentheses around an `if` condition from its arguments.
fn strip_if_parens(args: &mut Vec<String>) {
    let (Some(first), Some(last)) = (args.first(), args.last()) else {
        return;
    };
    if !(first.starts_with('(') && last.ends_with(')')) {
        return;
    }
    let n = args.len();
    args[0] = args[0][1..].trim_start().to_string();
    let l = args[n - 1].len();
    args[n - 1] = args[n - 1][..l - 1].trim_end().to_string();
    if args.last().is_some_and(String::is_empty) {
        args.pop();
    }
    if args.first().is_some_and(String::is_empty) {
        args.remove(0);
    }
}

/// The syntax errors of one file as crossplane lists them.
fn syntax_errors(
    errors: &[SyntaxError],
    name: &str,
    line: impl Fn(u32) -> usize,
) -> Vec<FileError> {
    errors
        .iter()
        .map(|e| {
            let line = line(e.span.start);
            FileError {
                error: format!("{} in {}:{}", e.message, name, line),
                line: Some(line),
            }
        })
        .collect()
}

/// A file's entry, its errors sorted by line and copied to the payload's list.
fn entry<'a>(
    name: String,
    mut errors: Vec<FileError>,
    parsed: Parsed<'a>,
    top: &mut Vec<PayloadError>,
) -> FileEntry<'a> {
    errors.sort_by_key(|e| e.line);
    for e in &errors {
        top.push(PayloadError {
            file: name.clone(),
            error: e.error.clone(),
            line: e.line,
        });
    }
    FileEntry {
        file: name,
        status: if errors.is_empty() { "ok" } else { "failed" },
        errors,
        parsed,
    }
}

/// The crossplane payload of a loaded configuration.
pub fn payload(config: &Config) -> Payload<'_> {
    let mut top = Vec::new();
    let mut entries = Vec::new();
    for (id, src) in config.sources.iter() {
        let parse = &config.files[id.0 as usize];
        let name = src.path.display().to_string();
        let mut errors = syntax_errors(&parse.errors, &name, |at| src.line(at));
        for e in config
            .errors
            .iter()
            .filter(|e| e.span.is_some_and(|s| s.file == id))
        {
            let line = e.span.map(|s| src.line(s.start));
            errors.push(FileError {
                error: e.message.clone(),
                line,
            });
        }
        let parsed = Parsed::Tree {
            directives: &parse.directives,
            src: &src.src,
        };
        entries.push(entry(name, errors, parsed, &mut top));
    }
    for e in config.errors.iter().filter(|e| e.span.is_none()) {
        top.push(PayloadError {
            file: e.path.display().to_string(),
            error: e.message.clone(),
            line: None,
        });
    }
    Payload {
        status: if top.is_empty() { "ok" } else { "failed" },
        errors: top,
        config: entries,
        includes: Some(&config.includes),
    }
}

/// For tests and fuzzing, the compact `parsed` list of `src` written three ways: from
/// the tree, while parsing, and in two halves cut at `cut` (`None` when they cannot be
/// joined); and whether `src` has syntax errors. The three must agree.
#[doc(hidden)]
pub fn parsed_three_ways(src: &[u8], cut: usize) -> (Vec<u8>, Vec<u8>, Option<Vec<u8>>, bool) {
    let tree = super::parser::parse(src, FileId(0));
    let mut j = Json::new(None, PARSED_DEPTH);
    let mut out = Vec::new();
    // Writing to a vector cannot fail.
    let _ = j.directives(&tree.directives, None, &mut Lines::new(src), &mut out);
    out.extend_from_slice(&j.buf);
    let (whole, errors) = stream_whole(src, None);
    let halves = stream_halves(src, cut).map(|h| h.concat());
    (out, whole.concat(), halves, !errors.is_empty())
}

/// Writes a file's statements as JSON while they are parsed.
struct Stream<'s> {
    j: Json,
    lines: Lines<'s>,
    /// The pieces written so far, before the one in `j.buf`.
    done: Vec<Vec<u8>>,
}

/// The size of the pieces of a streamed payload.
const PIECE: usize = 1 << 20;

impl<'s> Stream<'s> {
    fn head(&mut self, words: &[Word]) {
        if let Some((name, args)) = words.split_first() {
            let line = self.lines.at(name.span.start);
            self.j.directive(name, args, line);
        }
    }

    fn new(indent: Option<usize>, depth: usize, lines: Lines<'s>) -> Stream<'s> {
        Stream {
            j: Json::new(indent, depth),
            lines,
            done: Vec::new(),
        }
    }

    /// Starts a new piece when this one is full (growing one buffer would copy it).
    fn next_piece(&mut self) {
        if self.j.buf.len() >= PIECE - 4096 {
            let next = Vec::with_capacity(PIECE);
            self.done.push(std::mem::replace(&mut self.j.buf, next));
        }
    }

    /// The pieces written.
    fn finish(mut self) -> Vec<Vec<u8>> {
        self.done.push(self.j.buf);
        self.done
    }
}

impl Sink for Stream<'_> {
    fn statement(&mut self, words: &mut Vec<Word>, _end: usize) {
        self.head(words);
        self.j.end(b'}');
        self.next_piece();
    }

    fn open(&mut self, words: &mut Vec<Word>, _open: Span) {
        self.head(words);
        self.j.key("block");
        self.j.begin(b'[');
    }

    fn close(&mut self, _end: usize) {
        self.j.end(b']');
        self.j.end(b'}');
        self.next_piece();
    }
}

/// The payload of `parse --single-file` for one file read from `path`, written while
/// it is parsed, without building the tree: the same document as [`payload`] of the
/// file loaded alone, when it is written with the same `indent`.
pub fn stream(path: PathBuf, src: Vec<u8>, indent: Option<usize>) -> Payload<'static> {
    let halves = if indent.is_none() && src.len() >= PARALLEL && two_cpus() {
        cut_point(&src).and_then(|cut| stream_halves(&src, cut))
    } else {
        None
    };
    let (pieces, errors) = match halves {
        Some(pieces) => (pieces, Vec::new()),
        None => stream_whole(&src, indent),
    };
    let name = path.display().to_string();
    let errors = if errors.is_empty() {
        Vec::new()
    } else {
        let file = SourceFile::new(path, src);
        syntax_errors(&errors, &name, |at| file.line(at))
    };
    let mut top = Vec::new();
    let entry = entry(name, errors, Parsed::Json(pieces), &mut top);
    Payload {
        status: if top.is_empty() { "ok" } else { "failed" },
        errors: top,
        config: vec![entry],
        includes: None,
    }
}

/// Files at least this large are parsed in two halves at once (when the JSON is
/// compact, and the halves can be joined).
const PARALLEL: usize = 1 << 20;

/// Where to cut a file in two: the start of the first line after its middle.
fn cut_point(src: &[u8]) -> Option<usize> {
    let middle = src.len() / 2;
    let newline = memchr::memchr(b'\n', &src[middle..])?;
    Some(middle + newline + 1).filter(|&cut| cut < src.len())
}

/// Parses the whole of `src`, writing its statements as a `parsed` list in pieces;
/// returns them and the syntax errors.
fn stream_whole(src: &[u8], indent: Option<usize>) -> (Vec<Vec<u8>>, Vec<SyntaxError>) {
    let mut sink = Stream::new(indent, PARSED_DEPTH, Lines::new(src));
    sink.j.begin(b'[');
    let (errors, _comments) = parse_with(src, FileId(0), &mut sink);
    sink.j.end(b']');
    (sink.finish(), errors)
}

/// The compact `parsed` list of `src`, its two halves (cut at `cut`) parsed by two
/// threads. `None` when the halves cannot be joined (the cut fell inside a statement,
/// a quoted string or a Lua block) or the file has errors: then it is parsed whole.
fn stream_halves(src: &[u8], cut: usize) -> Option<Vec<Vec<u8>>> {
    let (first, second) = std::thread::scope(|s| {
        // A thread that cannot be started (a limit on threads) means: parse it whole.
        let second = std::thread::Builder::new().spawn_scoped(s, || {
            // The depth is unknown (it only matters for indentation): high enough to
            // close the blocks opened before the cut.
            let mut sink = Stream::new(None, usize::MAX / 2, Lines::from(src, cut));
            // The first statement follows another one, unless the first half says
            // otherwise (see below).
            sink.j.empty = false;
            let end = parse_part(src, cut, Part::Second, &mut sink);
            sink.j.end(b']');
            (sink.finish(), end)
        });
        let mut sink = Stream::new(None, PARSED_DEPTH, Lines::new(src));
        sink.j.begin(b'[');
        let end = parse_part(src, cut, Part::First, &mut sink);
        let empty = sink.j.empty;
        let second = second.ok().and_then(|h| h.join().ok());
        ((sink.finish(), end, empty), second)
    });
    let (mut pieces, a, empty) = first;
    let (mut rest, b) = second?;
    let joins = a.errors.is_empty()
        && b.errors.is_empty()
        && !a.inside
        && b.closed_before == a.open
        && a.open + b.deepest < MAX_DEPTH;
    if !joins {
        return None;
    }
    if empty && rest.first().and_then(|p| p.first()) == Some(&b',') {
        // The first half ended just after a `{`: no comma before the next statement.
        rest[0].remove(0);
    }
    pieces.extend(rest);
    Some(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(v: &[&str]) -> Vec<String> {
        let mut a: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        strip_if_parens(&mut a);
        a
    }

    /// Every byte alone in a string, and a few texts: the same JSON as serde_json.
    #[test]
    fn strings_escaped_like_serde_json() {
        let mut texts: Vec<String> = (0u8..0x80).map(|b| (b as char).to_string()).collect();
        texts.extend(["café \u{1F600}", "a\"b\\c\u{7f}", "", "\u{fffd}\r\n\t"].map(String::from));
        for t in texts {
            let mut j = Json::new(None, 0);
            j.str(&t);
            let ours = String::from_utf8(j.buf).unwrap();
            assert_eq!(ours, serde_json::to_string(&t).unwrap(), "{t:?}");
        }
    }

    #[test]
    fn numbers() {
        for n in [0, 7, 10, 99, 100, 65535, usize::MAX] {
            let mut j = Json::new(None, 0);
            j.num(n);
            assert_eq!(j.buf, n.to_string().into_bytes());
        }
    }

    /// The `.conf` files of `grammar-tests/`.
    fn grammar_files() -> Vec<Vec<u8>> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("grammar-tests");
        let mut inputs = Vec::new();
        for dir in ["ok", "err", "lua"] {
            for e in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = e.unwrap().path();
                if path.extension().is_some_and(|x| x == "conf") {
                    inputs.push(std::fs::read(path).unwrap());
                }
            }
        }
        inputs
    }

    /// The payload written while parsing equals the one written from the tree, byte
    /// for byte, compact and indented, on every grammar test file and on inputs that
    /// exercise recovery (dropped blocks, errors at the end, a BOM, bytes that are not
    /// UTF-8, a Lua block).
    #[test]
    fn streamed_payload_equals_tree_payload() {
        use crate::config::load::{Input, LoadOptions, load};
        let mut inputs = grammar_files();
        assert!(inputs.len() > 40, "{} grammar test files", inputs.len());
        for extra in [
            &b"a { b; { c { d; } e; } f; }\ng;\n"[..],
            b"\xEF\xBB\xBFevents { }\nhttp { server { listen 80 } }\n}\n",
            b"a \xff\xfe \"\x01\" '\\'';\nb {\n",
            b"if ( $a = b ) { return 403; }\ncontent_by_lua_block { ngx.say('}') }\n",
            b"\"q\"x;\ny {{ z; }\n",
            b"",
        ] {
            inputs.push(extra.to_vec());
        }
        let dir = tempfile::tempdir().unwrap();
        for (i, src) in inputs.iter().enumerate() {
            let path = dir.path().join(format!("f{i}.conf"));
            std::fs::write(&path, src).unwrap();
            let config = load(
                &Input::File(path.clone()),
                &LoadOptions {
                    single_file: true,
                    ..Default::default()
                },
            );
            for indent in [None, Some(0), Some(2)] {
                let tree = payload(&config).to_vec(indent);
                let streamed = stream(path.clone(), src.clone(), indent).to_vec(indent);
                assert_eq!(
                    String::from_utf8_lossy(&streamed),
                    String::from_utf8_lossy(&tree),
                    "{}",
                    String::from_utf8_lossy(src)
                );
            }
        }
    }

    /// Cut at the start of every line of every grammar test file and of inputs made to
    /// fool the cut (quoted strings, escaped newlines, Lua blocks, comments and dropped
    /// blocks across lines): whenever the halves are joined, the result is the whole
    /// file's JSON; and they are joined for a plain file.
    #[test]
    fn halves_join_to_the_whole() {
        let mut inputs = grammar_files();
        let tricky: [&[u8]; 7] = [
            b"a \"x\ny;\n z\";\nb;\n",
            b"a x\\\ny;\nb;\n",
            b"content_by_lua_block {\n s = '}'\n}\nb;\n",
            b"http {\n # }\n server {\n }\n}\nc { }\n",
            b"{\n a;\n b { c; }\n}\nd;\n",
            b"if ($a) {\n}\nif ( $b = c ) {\n return 403;\n}\n",
            b"a {\nb {\n}\n}\n}\n",
        ];
        inputs.extend(tricky.iter().map(|t| t.to_vec()));
        let mut joined = 0;
        for src in &inputs {
            let (whole, errors) = stream_whole(src, None);
            let whole = whole.concat();
            for (i, _) in src.iter().enumerate().filter(|(_, b)| **b == b'\n') {
                if let Some(halves) = stream_halves(src, i + 1) {
                    assert!(errors.is_empty(), "{}", String::from_utf8_lossy(src));
                    assert_eq!(
                        String::from_utf8_lossy(&halves.concat()),
                        String::from_utf8_lossy(&whole),
                        "cut at {} of {}",
                        i + 1,
                        String::from_utf8_lossy(src)
                    );
                    joined += 1;
                }
            }
        }
        assert!(joined > 100, "{joined} cuts joined");
        let plain = b"http {\n server {\n listen 80;\n }\n}\n";
        assert!(stream_halves(plain, 7).is_some());
        assert!(stream_halves(plain, 17).is_some());
        // Inside a quoted string, and in the middle of a statement.
        assert!(stream_halves(tricky[0], 8).is_none());
        assert!(stream_halves(tricky[1], 5).is_none());
        assert!(stream_halves(tricky[2], 23).is_none());
        assert!(stream_halves(tricky[2], 32).is_none());
    }

    #[test]
    fn if_parentheses() {
        assert_eq!(strip(&["($a", "=", "b)"]), ["$a", "=", "b"]);
        assert_eq!(strip(&["(", "$a", ")"]), ["$a"]);
        assert_eq!(strip(&["($a)"]), ["$a"]);
        assert_eq!(strip(&["$a"]), ["$a"]);
    }
}
