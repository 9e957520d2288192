//! crossplane-compatible JSON (`crossplane parse` output), so that tools written against
//! crossplane's schema read ours unchanged:
//! `{status, errors[{file, line, error}], config[{file, status, errors[{line, error}],
//! parsed[{directive, line, args, includes?, block?}]}]}`.
//!
//! Differences from crossplane are where crossplane differs from nginx; they are listed
//! in `grammar-tests/DIVERGENCES.md`.

use std::collections::{HashMap, VecDeque};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

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
    /// A large file read once (its errors known), to be parsed again while the
    /// payload is written (see [`stream`]).
    Stream(Planned),
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
                Parsed::Stream(planned) => {
                    out.write_all(&j.buf)?;
                    j.buf.clear();
                    write_planned(planned, indent, out)?;
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
/// the tree, while parsing, and in chunks after a first parse in two halves cut at
/// `cut` (`None` when they cannot be joined; see [`stream`]); and whether `src` has
/// syntax errors. The three must agree.
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

/// Writes a file's statements as JSON while they are parsed, handing each full piece to
/// `emit`, which returns the buffer for the next one.
struct Stream<'s, E: FnMut(Vec<u8>) -> Vec<u8>> {
    j: Json,
    lines: Lines<'s>,
    /// A piece is handed on once it holds this many bytes.
    full: usize,
    emit: E,
    /// A close ending at or after this offset is the parser's at the end of its input
    /// (a block still open where a chunk ends), not a `}` of the file: not written.
    stop: usize,
}

/// The size of the pieces of a streamed payload.
const PIECE: usize = 1 << 20;

impl<'s, E: FnMut(Vec<u8>) -> Vec<u8>> Stream<'s, E> {
    fn head(&mut self, words: &[Word]) {
        if let Some((name, args)) = words.split_first() {
            let line = self.lines.at(name.span.start);
            self.j.directive(name, args, line);
        }
    }

    fn new(
        indent: Option<usize>,
        depth: usize,
        lines: Lines<'s>,
        buf: Vec<u8>,
        full: usize,
        emit: E,
    ) -> Stream<'s, E> {
        Stream {
            j: Json {
                buf,
                indent,
                depth,
                empty: true,
            },
            lines,
            full,
            emit,
            stop: usize::MAX,
        }
    }

    /// Hands the piece on when it is full (growing one buffer would copy it).
    fn next_piece(&mut self) {
        if self.j.buf.len() >= self.full {
            let piece = std::mem::take(&mut self.j.buf);
            self.j.buf = (self.emit)(piece);
        }
    }

    /// The last piece, not handed on.
    fn finish(self) -> Vec<u8> {
        self.j.buf
    }
}

impl<E: FnMut(Vec<u8>) -> Vec<u8>> Sink for Stream<'_, E> {
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

    fn close(&mut self, end: usize) {
        if end >= self.stop {
            return;
        }
        self.j.end(b']');
        self.j.end(b'}');
        self.next_piece();
    }
}

/// Parses the whole of `src`, writing its statements as a `parsed` list in pieces kept
/// in memory; returns them and the syntax errors. For files too small to be worth two
/// passes (see [`Tuning::two_passes`]).
fn stream_whole(src: &[u8], indent: Option<usize>) -> (Vec<Vec<u8>>, Vec<SyntaxError>) {
    let mut done = Vec::new();
    let mut sink = Stream::new(
        indent,
        PARSED_DEPTH,
        Lines::new(src),
        Vec::with_capacity(PIECE),
        PIECE - 4096,
        |piece| {
            done.push(piece);
            Vec::with_capacity(PIECE)
        },
    );
    sink.j.begin(b'[');
    let (errors, _comments) = parse_with(src, FileId(0), &mut sink);
    sink.j.end(b']');
    let last = sink.finish();
    done.push(last);
    (done, errors)
}

/// The payload of `parse --single-file` for one file read from `path`, written while
/// it is parsed, without building the tree: the same document as [`payload`] of the
/// file loaded alone.
///
/// The head of the document (`status`, `errors`) depends on the whole file, and
/// keeping the JSON of a large file until the end cost memory of the size of the
/// output (1.6 times the input). So a large file is parsed twice: here without output
/// (in two halves at once), for its errors and for the places where a parse can start
/// on its own ([`Plan`]); then, when the payload is written, in chunks cut at those
/// places, by two threads, their JSON passed in order to the output through a bounded
/// window ([`write_chunks`]). Memory: the input and a few megabytes.
pub fn stream(path: PathBuf, src: Vec<u8>, indent: Option<usize>) -> Payload<'static> {
    stream_with(path, src, indent, Tuning::new())
}

fn stream_with(path: PathBuf, src: Vec<u8>, indent: Option<usize>, t: Tuning) -> Payload<'static> {
    let name = path.display().to_string();
    let (parsed, errors) = if src.len() >= t.two_passes {
        let spacing = t
            .spacing
            .unwrap_or((src.len() / 16).clamp(1 << 16, 1 << 20));
        let (plan, errors) = plan(&src, spacing, t.workers > 0);
        let errors = if errors.is_empty() {
            Vec::new()
        } else {
            let line = lines_at(&src, errors.iter().map(|e| e.span.start));
            syntax_errors(&errors, &name, line)
        };
        (Parsed::Stream(Planned { src, plan, t }), errors)
    } else {
        let (pieces, errors) = stream_whole(&src, indent);
        let errors = if errors.is_empty() {
            Vec::new()
        } else {
            let file = SourceFile::new(path, src);
            syntax_errors(&errors, &name, |at| file.line(at))
        };
        (Parsed::Json(pieces), errors)
    };
    let mut top = Vec::new();
    let entry = entry(name, errors, parsed, &mut top);
    Payload {
        status: if top.is_empty() { "ok" } else { "failed" },
        errors: top,
        config: vec![entry],
        includes: None,
    }
}

/// The line of each of `offsets` in `src` (the same as [`SourceFile::line`]), counted
/// in one pass and without a table of every line.
fn lines_at(src: &[u8], offsets: impl Iterator<Item = u32>) -> impl Fn(u32) -> usize {
    let mut sorted: Vec<u32> = offsets.collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut lines = Lines::new(src);
    let table: Vec<(u32, usize)> = sorted.iter().map(|&at| (at, lines.at(at))).collect();
    move |at| {
        table
            .binary_search_by_key(&at, |&(o, _)| o)
            .map_or_else(|_| Lines::new(src).at(at), |i| table[i].1)
    }
}

/// A large file's `parsed` list, to be written by its second parse.
pub struct Planned {
    src: Vec<u8>,
    plan: Plan,
    t: Tuning,
}

impl std::fmt::Debug for Planned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Planned")
            .field("bytes", &self.src.len())
            .field("chunks", &self.plan.starts.len())
            .finish()
    }
}

/// How a large file is parsed: the sizes are parameters so that tests can cut small
/// files into many chunks and pass them through a small window.
#[derive(Clone, Copy, Debug)]
struct Tuning {
    /// Files at least this large are parsed twice (smaller ones once, their JSON kept).
    two_passes: usize,
    /// The least distance between two chunk starts; `None`: a sixteenth of the file,
    /// between 64 KiB and 1 MiB.
    spacing: Option<usize>,
    /// A piece of output is handed on once it holds this many bytes.
    full: usize,
    /// Chunks after the one being written wait once this many bytes are waiting.
    window: usize,
    /// Threads parsing chunks (0: one parse on the writing thread).
    workers: usize,
}

impl Tuning {
    fn new() -> Tuning {
        Tuning {
            two_passes: TWO_PASSES,
            spacing: None,
            full: PIECE - 4096,
            window: 4 << 20,
            workers: if two_cpus() { 2 } else { 0 },
        }
    }
}

/// Files at least this large are parsed twice (see [`stream`]).
const TWO_PASSES: usize = 1 << 20;

/// Where a chunk of a file without syntax errors starts: the start of a line between
/// two statements, with what the JSON writer needs to go on from there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Start {
    at: usize,
    /// The line number of `at`.
    line: usize,
    /// The blocks open at `at` (relative to the cut while the second half is read).
    depth: isize,
    /// Whether the list being written has no element yet (`at` follows a `{`).
    empty: bool,
}

/// What the first parse learned: where chunks start, when the file has no syntax
/// errors and more than one chunk (else it is parsed once more, whole).
#[derive(Debug)]
struct Plan {
    starts: Vec<Start>,
}

/// The first parse of a file: no output; the syntax errors, and a [`Start`] at the
/// first clean line start at least `spacing` bytes after the last one.
struct Scout<'s> {
    src: &'s [u8],
    spacing: usize,
    /// A start is wanted before the first statement at or after this offset.
    next: usize,
    /// The end of the last statement, `{` or `}` reported (none yet: `None`).
    last_end: Option<usize>,
    depth: isize,
    empty: bool,
    /// The line number of `pos`.
    line: usize,
    pos: usize,
    starts: Vec<Start>,
}

impl Scout<'_> {
    fn new(src: &[u8], pos: usize, line: usize, spacing: usize) -> Scout<'_> {
        Scout {
            src,
            spacing,
            next: pos.saturating_add(spacing),
            last_end: None,
            depth: 0,
            empty: true,
            line,
            pos,
            starts: Vec::new(),
        }
    }

    /// Before something reported from `start` to `end`.
    fn event(&mut self, start: usize, end: usize) {
        if start >= self.next
            && let Some(from) = self.last_end
            && let Some(at) = clean_line_start(self.src, from, start)
        {
            self.line += count_lines(&self.src[self.pos..at]);
            self.pos = at;
            self.starts.push(Start {
                at,
                line: self.line,
                depth: self.depth,
                empty: self.empty,
            });
            self.next = at.saturating_add(self.spacing);
        }
        self.last_end = Some(end);
    }
}

impl Sink for Scout<'_> {
    fn statement(&mut self, words: &mut Vec<Word>, end: usize) {
        if let Some(name) = words.first() {
            self.event(name.span.start as usize, end);
            self.empty = false;
        }
    }

    fn open(&mut self, words: &mut Vec<Word>, open: Span) {
        if let Some(name) = words.first() {
            self.event(name.span.start as usize, open.end as usize);
            self.depth += 1;
            self.empty = true;
        }
    }

    fn close(&mut self, end: usize) {
        self.event(end.saturating_sub(1), end);
        self.depth -= 1;
        self.empty = false;
    }
}

/// The newlines in `s`. Counted in bytes, 128 at a time: counting each into a `usize`
/// was 8% of the time of `parse` on a large file.
fn count_lines(s: &[u8]) -> usize {
    let mut blocks = s.chunks_exact(128);
    let mut n = 0;
    for block in &mut blocks {
        n += block.iter().fold(0u8, |c, &b| c + u8::from(b == b'\n')) as usize;
    }
    n + blocks.remainder().iter().filter(|&&b| b == b'\n').count()
}

/// The start of the line after `from` (where a statement, `{` or `}` ended) when it
/// comes before `to` (where the next one starts) and only blanks or a comment come
/// between: a parse can start there as at the start of a statement.
fn clean_line_start(src: &[u8], from: usize, to: usize) -> Option<usize> {
    let gap = src.get(from..to)?;
    let newline = memchr::memchr(b'\n', gap)?;
    let before = &gap[..newline];
    match before.iter().find(|&&b| !matches!(b, b' ' | b'\t' | b'\r')) {
        None | Some(b'#') => Some(from + newline + 1),
        Some(_) => None,
    }
}

/// The first parse of `src`: its syntax errors, and its chunks when it has none; in
/// two halves at once when `halves`, and the halves can be joined.
fn plan(src: &[u8], spacing: usize, halves: bool) -> (Plan, Vec<SyntaxError>) {
    if halves
        && let Some(cut) = cut_point(src)
        && let Some(plan) = plan_halves(src, cut, spacing)
    {
        return (plan, Vec::new());
    }
    let mut scout = Scout::new(src, 0, 1, spacing);
    let (errors, _comments) = parse_with(src, FileId(0), &mut scout);
    let starts = if errors.is_empty() {
        let mut starts = vec![FIRST];
        starts.append(&mut scout.starts);
        starts
    } else {
        Vec::new()
    };
    (Plan { starts }, errors)
}

/// The start of the first chunk.
const FIRST: Start = Start {
    at: 0,
    line: 1,
    depth: 0,
    empty: true,
};

/// Where to cut a file in two: the start of the first line after its middle.
fn cut_point(src: &[u8]) -> Option<usize> {
    let middle = src.len() / 2;
    let newline = memchr::memchr(b'\n', &src[middle..])?;
    Some(middle + newline + 1).filter(|&cut| cut < src.len())
}

/// The first parse of `src` in two halves (cut at `cut`) read by two threads. `None`
/// when the halves cannot be joined (the cut fell inside a statement, a quoted string
/// or a Lua block) or the file has errors: then it is read whole.
fn plan_halves(src: &[u8], cut: usize, spacing: usize) -> Option<Plan> {
    let (first, second) = std::thread::scope(|s| {
        // A thread that cannot be started (a limit on threads) means: read it whole.
        let second = std::thread::Builder::new().spawn_scoped(s, || {
            // Lines and depth counted from the cut; the first half's are added below.
            let mut scout = Scout::new(src, cut, 0, spacing);
            let end = parse_part(src, cut, Part::Second, &mut scout);
            (scout.starts, end)
        });
        let mut scout = Scout::new(src, 0, 1, spacing);
        let end = parse_part(src, cut, Part::First, &mut scout);
        let at_cut = Start {
            at: cut,
            line: scout.line + count_lines(&src[scout.pos.min(cut)..cut]),
            depth: end.open as isize,
            empty: scout.empty,
        };
        let second = second.ok().and_then(|h| h.join().ok());
        ((scout.starts, end, at_cut), second)
    });
    let (first, a, at_cut) = first;
    let (second, b) = second?;
    let joins = a.errors.is_empty()
        && b.errors.is_empty()
        && !a.inside
        && b.closed_before == a.open
        && a.open + b.deepest < MAX_DEPTH;
    if !joins {
        return None;
    }
    let mut starts = Vec::with_capacity(first.len() + second.len() + 2);
    starts.push(FIRST);
    starts.extend(first);
    starts.push(at_cut);
    starts.extend(second.into_iter().map(|s| Start {
        line: s.line + at_cut.line,
        depth: s.depth + at_cut.depth,
        ..s
    }));
    // Increasing by construction; kept so even if a start were out of place.
    starts.dedup_by(|b, a| b.at <= a.at);
    Some(Plan { starts })
}

/// Writes chunk `k` of `src` (from its start to the next one) as JSON: the first opens
/// the `parsed` list, the last closes it. Returns the last piece, not handed on.
fn chunk<E: FnMut(Vec<u8>) -> Vec<u8>>(
    src: &[u8],
    starts: &[Start],
    k: usize,
    indent: Option<usize>,
    t: &Tuning,
    buf: Vec<u8>,
    emit: E,
) -> Vec<u8> {
    let s = starts[k];
    let next = starts.get(k + 1).map(|n| n.at);
    let end = next.unwrap_or(src.len()).min(src.len());
    // Inside the list at depth 0; one `{` and one `[` more per open block.
    let depth = PARSED_DEPTH + 1 + 2 * usize::try_from(s.depth).unwrap_or(0);
    let lines = Lines {
        src,
        pos: s.at.min(src.len()),
        line: s.line,
    };
    let mut sink = Stream::new(indent, depth, lines, buf, t.full, emit);
    if next.is_some() {
        sink.stop = end;
    }
    if k == 0 {
        sink.j.depth = PARSED_DEPTH;
        sink.j.begin(b'[');
    } else {
        sink.j.empty = s.empty;
    }
    // Read as the part after a cut: a `}` closes a block opened in an earlier chunk.
    // The errors are those of an early end (blocks still open): the file has none.
    parse_part(&src[..end], s.at, Part::Second, &mut sink);
    if next.is_none() {
        sink.j.end(b']');
    }
    sink.finish()
}

/// Writes the `parsed` list of a planned file to `out`: in chunks by worker threads
/// when it has some, else parsed whole on this thread.
fn write_planned(p: &Planned, indent: Option<usize>, out: &mut dyn Write) -> io::Result<()> {
    if p.plan.starts.len() > 1 && p.t.workers > 0 {
        write_chunks(&p.src, &p.plan.starts, indent, &p.t, out)
    } else {
        write_whole(&p.src, indent, &p.t, out)
    }
}

/// Parses the whole of `src` (errors and all), writing its `parsed` list to `out` as
/// it goes.
fn write_whole(
    src: &[u8],
    indent: Option<usize>,
    t: &Tuning,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut failed = None;
    let mut sink = Stream::new(
        indent,
        PARSED_DEPTH,
        Lines::new(src),
        Vec::with_capacity(t.full + 4096),
        t.full,
        |mut piece: Vec<u8>| {
            // After a failed write the parse goes on (it cannot be stopped), unwritten.
            if failed.is_none()
                && let Err(e) = out.write_all(&piece)
            {
                failed = Some(e);
            }
            piece.clear();
            piece
        },
    );
    sink.j.begin(b'[');
    parse_with(src, FileId(0), &mut sink);
    sink.j.end(b']');
    let last = sink.finish();
    match failed {
        Some(e) => Err(e),
        None => out.write_all(&last),
    }
}

/// The pieces of the chunks between the worker threads and the writing thread.
struct Window {
    /// The chunks taken by a worker so far.
    taken: usize,
    /// The chunk being written: its pieces are written as they come.
    writing: usize,
    /// Each chunk's pieces not yet written, and whether it has been parsed to its end.
    ready: Vec<(VecDeque<Vec<u8>>, bool)>,
    /// Bytes in `ready`: past `Tuning::window`, the chunks after `writing` wait.
    held: usize,
    /// Written pieces, for the next ones.
    spare: Vec<Vec<u8>>,
    /// The output failed: the workers stop.
    stop: bool,
    /// Workers still running, and whether one stopped in the middle of a chunk.
    alive: usize,
    broken: bool,
}

struct Shared {
    window: Mutex<Window>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Window> {
        // The state stays consistent through a panic elsewhere (counted in `broken`).
        self.window.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'g>(&self, g: MutexGuard<'g, Window>) -> MutexGuard<'g, Window> {
        self.changed.wait(g).unwrap_or_else(PoisonError::into_inner)
    }

    /// A piece of chunk `k` parsed (its last one when `last`); waits while the window is
    /// full, unless `k` is being written. Returns the buffer for the next piece.
    fn hand(&self, k: usize, piece: Vec<u8>, last: bool, t: &Tuning) -> Vec<u8> {
        let mut w = self.lock();
        while !w.stop && k != w.writing && w.held >= t.window {
            w = self.wait(w);
        }
        if w.stop {
            let mut piece = piece;
            piece.clear();
            return piece;
        }
        w.held += piece.len();
        w.ready[k].0.push_back(piece);
        w.ready[k].1 = last;
        let next = w.spare.pop();
        drop(w);
        self.changed.notify_all();
        next.unwrap_or_else(|| Vec::with_capacity(t.full + 4096))
    }
}

/// Counts a worker out when it ends, even by a panic.
struct Alive<'a>(&'a Shared);

impl Drop for Alive<'_> {
    fn drop(&mut self) {
        let mut w = self.0.lock();
        w.alive -= 1;
        w.broken |= std::thread::panicking();
        drop(w);
        self.0.changed.notify_all();
    }
}

/// A worker: takes the next chunk, parses it, hands its pieces on; until none is left.
fn work(shared: &Shared, src: &[u8], starts: &[Start], indent: Option<usize>, t: &Tuning) {
    let _alive = Alive(shared);
    loop {
        let (k, buf) = {
            let mut w = shared.lock();
            if w.stop || w.taken == starts.len() {
                return;
            }
            w.taken += 1;
            (w.taken - 1, w.spare.pop())
        };
        let buf = buf.unwrap_or_else(|| Vec::with_capacity(t.full + 4096));
        let last = chunk(src, starts, k, indent, t, buf, |piece| {
            shared.hand(k, piece, false, t)
        });
        shared.hand(k, last, true, t);
    }
}

/// Spare pieces kept for reuse.
const SPARE: usize = 4;

/// Writes the chunks of `src`, parsed by worker threads, to `out` in order: at most
/// `window` bytes (and a piece per worker) wait, so memory does not grow with the
/// output.
fn write_chunks(
    src: &[u8],
    starts: &[Start],
    indent: Option<usize>,
    t: &Tuning,
    out: &mut dyn Write,
) -> io::Result<()> {
    let n = starts.len();
    let shared = Shared {
        window: Mutex::new(Window {
            taken: 0,
            writing: 0,
            ready: (0..n).map(|_| (VecDeque::new(), false)).collect(),
            held: 0,
            spare: Vec::new(),
            stop: false,
            alive: 0,
            broken: false,
        }),
        changed: Condvar::new(),
    };
    std::thread::scope(|s| {
        let mut workers = Vec::new();
        for _ in 0..t.workers {
            shared.lock().alive += 1;
            let worker = std::thread::Builder::new()
                .spawn_scoped(s, || work(&shared, src, starts, indent, t));
            match worker {
                Ok(w) => workers.push(w),
                Err(_) => shared.lock().alive -= 1,
            }
        }
        if workers.is_empty() {
            // No thread could be started (a limit on threads): one parse, here.
            return write_whole(src, indent, t, out);
        }
        let written = write_in_order(&shared, n, out);
        if written.is_err() {
            shared.lock().stop = true;
            shared.changed.notify_all();
        }
        // Joined here, not by the scope, which would pass a worker's panic on (the
        // writing has already failed then, with an error).
        for w in workers {
            let _ = w.join();
        }
        written
    })
}

/// The writing side of [`write_chunks`].
fn write_in_order(shared: &Shared, n: usize, out: &mut dyn Write) -> io::Result<()> {
    loop {
        let piece = {
            let mut w = shared.lock();
            loop {
                if w.writing == n {
                    return Ok(());
                }
                let k = w.writing;
                if let Some(piece) = w.ready[k].0.pop_front() {
                    break piece;
                }
                if w.ready[k].1 {
                    w.writing += 1;
                    shared.changed.notify_all();
                    continue;
                }
                if w.broken || w.alive == 0 {
                    return Err(io::Error::other("a thread parsing the file stopped"));
                }
                w = shared.wait(w);
            }
        };
        let written = out.write_all(&piece);
        let mut piece = piece;
        let mut w = shared.lock();
        w.held -= piece.len();
        if w.spare.len() < SPARE {
            piece.clear();
            w.spare.push(piece);
        }
        drop(w);
        shared.changed.notify_all();
        written?;
    }
}

/// The compact `parsed` list of `src` written from the chunks of its first parse in
/// two halves cut at `cut` (and cut again every 64 bytes or so where a parse can
/// start), one chunk after the other. `None` when the halves cannot be joined (or the
/// file has errors).
fn stream_halves(src: &[u8], cut: usize) -> Option<Vec<Vec<u8>>> {
    let plan = plan_halves(src, cut, 64)?;
    Some(chunks_in_memory(src, &plan, None))
}

/// The chunks of a plan written one after the other, in memory.
fn chunks_in_memory(src: &[u8], plan: &Plan, indent: Option<usize>) -> Vec<Vec<u8>> {
    let t = Tuning {
        full: PIECE - 4096,
        ..Tuning::new()
    };
    let mut pieces = Vec::new();
    for k in 0..plan.starts.len() {
        let last = chunk(src, &plan.starts, k, indent, &t, Vec::new(), |piece| {
            pieces.push(piece);
            Vec::new()
        });
        pieces.push(last);
    }
    pieces
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
                // Parsed twice, as a large file is: in chunks by threads, through a
                // window of a few bytes; by one thread; parsed whole the second time.
                for t in tunings() {
                    let twice = stream_with(path.clone(), src.clone(), indent, t).to_vec(indent);
                    assert_eq!(
                        String::from_utf8_lossy(&twice),
                        String::from_utf8_lossy(&tree),
                        "{t:?}: {}",
                        String::from_utf8_lossy(src)
                    );
                }
            }
        }
    }

    /// Small sizes, so that small files go the way of large ones.
    fn tunings() -> Vec<Tuning> {
        let t = Tuning {
            two_passes: 0,
            spacing: Some(0),
            full: 8,
            window: 40,
            workers: 2,
        };
        vec![
            t,
            Tuning { workers: 1, ..t },
            Tuning { workers: 0, ..t },
            Tuning {
                spacing: Some(50),
                workers: 3,
                window: 0,
                ..t
            },
        ]
    }

    /// An output that fails after `left` bytes.
    struct Failing {
        left: usize,
        writes: usize,
    }

    impl Write for Failing {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.writes += 1;
            if self.left == 0 {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            let n = buf.len().min(self.left);
            self.left -= n;
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// A closed output (EPIPE) at any point ends the write with the error, without
    /// waiting for threads that wait for room in the window, and without a panic.
    #[test]
    fn write_error_ends_the_parse() {
        let src = b"http {\n server {\n listen 80;\n }\n}\n".repeat(200);
        let whole = stream(PathBuf::from("f.conf"), src.clone(), None).to_vec(None);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.conf");
        for t in tunings() {
            let payload = stream_with(path.clone(), src.clone(), None, t);
            for left in [0, 1, 100, 5000, whole.len() - 1] {
                let mut out = Failing { left, writes: 0 };
                let e = payload.write(None, &mut out).unwrap_err();
                assert_eq!(e.kind(), io::ErrorKind::BrokenPipe, "{t:?} {left}");
            }
            let mut out = Failing {
                left: usize::MAX,
                writes: 0,
            };
            payload.write(None, &mut out).unwrap();
            assert!(out.writes > 10, "{t:?}: written in pieces");
        }
    }

    /// The first parse finds where chunks can start: at clean line starts only, with
    /// the line, depth and whether the list is empty there; none in a file with errors.
    #[test]
    fn chunk_starts() {
        let src = b"a {\n  b; # x\n  c \"\nd\";\n}\ne;\n";
        let (p, errors) = plan(src, 0, false);
        assert!(errors.is_empty());
        let starts: Vec<_> = p
            .starts
            .iter()
            .map(|s| (s.at, s.line, s.depth, s.empty))
            .collect();
        // At every line start but the one inside the quoted string (before `d`).
        assert_eq!(
            starts,
            [
                (0, 1, 0, true),
                (4, 2, 1, true),
                (13, 3, 1, false),
                (23, 5, 1, false),
                (25, 6, 0, false)
            ]
        );
        let (p, errors) = plan(b"a {\n b;\n", 0, false);
        assert!(!errors.is_empty() && p.starts.is_empty());
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
            for indent in [Some(0), Some(3)] {
                // Chunks at every place the whole first parse finds, indented.
                let (whole, errors) = stream_whole(src, indent);
                let (p, _) = plan(src, 0, false);
                if errors.is_empty() {
                    assert_eq!(
                        String::from_utf8_lossy(&chunks_in_memory(src, &p, indent).concat()),
                        String::from_utf8_lossy(&whole.concat()),
                        "{}",
                        String::from_utf8_lossy(src)
                    );
                } else {
                    assert!(p.starts.is_empty());
                }
            }
            let (whole, errors) = stream_whole(src, None);
            let whole = whole.concat();
            for (i, _) in src.iter().enumerate().filter(|(_, b)| **b == b'\n') {
                for spacing in [0, 30] {
                    if let Some(plan) = plan_halves(src, i + 1, spacing) {
                        assert!(plan.starts.windows(2).all(|w| w[0].at < w[1].at));
                        for indent in [None, Some(2)] {
                            let (whole, _) = stream_whole(src, indent);
                            assert_eq!(
                                String::from_utf8_lossy(
                                    &chunks_in_memory(src, &plan, indent).concat()
                                ),
                                String::from_utf8_lossy(&whole.concat()),
                                "cut at {} of {}",
                                i + 1,
                                String::from_utf8_lossy(src)
                            );
                        }
                    }
                }
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
