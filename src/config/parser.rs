//! Tokens to a tree, the way `ngx_conf_parse()` reads them, with error recovery.
//!
//! `parse` never fails: a syntax error is recorded with its span, the parser skips to the
//! next `;` or `}` (keeping `{`/`}` balanced) and goes on. Blocks are kept on an explicit
//! stack, so deep nesting cannot overflow the call stack; past [`MAX_DEPTH`] levels the
//! rest of the file is skipped with an error.
//!
//! The parser reports what it reads to a [`Sink`]: [`parse`] builds the tree, and
//! `parse --single-file` writes crossplane's JSON straight from the statements
//! ([`crate::config::crossplane::stream`]) without building one.

use super::ast::{Block, Directive, FileId, Parse, Quote, Span, SyntaxError, Word};
use super::lexer::{Lexer, Token};

/// Deepest block nesting accepted. Real configurations nest a handful of levels.
pub const MAX_DEPTH: usize = 200;

/// Receives the directives of a file in source order. A directive comes as its words:
/// the name, then the arguments (never empty). They are lent: the parser clears the
/// vector afterwards, so a sink may take them.
pub trait Sink {
    /// `name args;`, ending at `end` (after the `;`, or where it was recovered).
    fn statement(&mut self, words: &mut Vec<Word>, end: usize);
    /// `name args {`, the `{` at `open`.
    fn open(&mut self, words: &mut Vec<Word>, open: Span);
    /// The innermost block reported by `open` ends at `end` (after its `}`, or at the
    /// end of the file).
    fn close(&mut self, end: usize);
}

/// Whether a directive's body is Lua code read verbatim (`content_by_lua_block` and
/// every other `*_by_lua_block`).
pub fn is_lua_block(name: &[u8]) -> bool {
    name.ends_with(b"_by_lua_block")
}

fn is_directive_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// Parses one file's bytes into a tree.
pub fn parse(src: &[u8], file: FileId) -> Parse {
    let mut tree = Tree {
        file,
        done: Vec::new(),
        open: Vec::new(),
    };
    let (errors, comments) = parse_with(src, file, &mut tree);
    Parse {
        directives: tree.done,
        errors,
        comments,
    }
}

/// Parses one file's bytes, reporting its directives to `sink`. Returns the syntax
/// errors and the comments.
pub fn parse_with(src: &[u8], file: FileId, sink: &mut impl Sink) -> (Vec<SyntaxError>, Vec<Span>) {
    let mut p = Parser::new(Lexer::new(src, file), sink, bom(src, file));
    p.run();
    (p.errors, std::mem::take(&mut p.lx.comments))
}

/// The error for a byte order mark at the start of `src`, if there is one.
fn bom(src: &[u8], file: FileId) -> Vec<SyntaxError> {
    let mut errors = Vec::new();
    if src.starts_with(b"\xEF\xBB\xBF") {
        // nginx does not skip a byte order mark: it becomes part of the first word
        // (`unknown directive "\u{feff}events"`). Report it, then read the rest.
        errors.push(SyntaxError {
            span: Span::new(file, 0, 3),
            message: "the file starts with a UTF-8 byte order mark, which nginx reads as part of the first directive's name (unknown directive); save the file without a BOM".into(),
        });
    }
    errors
}

/// Which part of a file cut in two [`parse_part`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// From the start to the cut, as if the file ended there (but without the errors
    /// of an early end: the blocks still open are counted).
    First,
    /// From the cut to the end, as if the cut were the start of a statement at an
    /// unknown depth: a `}` that closes a block opened before the cut is reported to
    /// the sink as a close, and counted.
    Second,
}

/// How a part of a file read by [`parse_part`] ended.
#[derive(Debug)]
pub struct PartEnd {
    pub errors: Vec<SyntaxError>,
    /// First part: the blocks still open at the cut.
    pub open: usize,
    /// First part: whether the cut fell inside a statement, or inside a block whose
    /// contents are dropped (then the second part cannot be read on its own).
    pub inside: bool,
    /// Second part: the `}` that closed blocks opened before the cut.
    pub closed_before: usize,
    /// The deepest nesting of blocks opened in this part.
    pub deepest: usize,
}

/// Parses one part of a file cut in two at `cut` (the start of a line), for reading
/// the two parts at once. Reading both and joining them gives what [`parse_with`]
/// gives for the whole file when: neither part has errors, the first does not end
/// `inside`, the second closes exactly the first's `open` blocks, and `open` plus the
/// second's `deepest` stays under [`MAX_DEPTH`]. Otherwise parse the whole file.
pub fn parse_part(src: &[u8], cut: usize, part: Part, sink: &mut impl Sink) -> PartEnd {
    let cut = cut.min(src.len());
    let lx = match part {
        Part::First => Lexer::new(&src[..cut], FileId(0)),
        Part::Second => {
            let mut lx = Lexer::new(src, FileId(0));
            lx.set_pos(cut);
            lx
        }
    };
    let errors = match part {
        Part::First => bom(src, FileId(0)),
        Part::Second => Vec::new(),
    };
    let mut p = Parser::new(lx, sink, errors);
    p.part = Some(part);
    p.run();
    PartEnd {
        inside: !p.words.is_empty() || p.hidden > 0,
        open: p.stack.len(),
        closed_before: p.closed_before,
        deepest: p.deepest,
        errors: p.errors,
    }
}

/// The sink that builds the tree.
struct Tree {
    file: FileId,
    /// The finished directives of every open block, innermost last: a block's are
    /// moved out, into a vector of exactly their number, when it closes. One growing
    /// vector instead of one per block saves most of the reallocation and copying.
    done: Vec<Directive>,
    /// The open blocks' directives, and where their contents start in `done`.
    open: Vec<(Word, Box<[Word]>, Span, usize)>,
}

/// A directive's words split into its name and its arguments, moved out in a slice
/// of their exact length.
fn take_words(words: &mut Vec<Word>) -> Option<(Word, Box<[Word]>)> {
    let args = if words.len() > 1 {
        words.split_off(1).into_boxed_slice()
    } else {
        Box::default()
    };
    Some((words.pop()?, args))
}

impl Sink for Tree {
    fn statement(&mut self, words: &mut Vec<Word>, end: usize) {
        if let Some((name, args)) = take_words(words) {
            self.done.push(Directive {
                span: Span::new(self.file, name.span.start as usize, end),
                name,
                args,
                block: None,
            });
        }
    }

    fn open(&mut self, words: &mut Vec<Word>, open: Span) {
        if let Some((name, args)) = take_words(words) {
            self.open.push((name, args, open, self.done.len()));
        }
    }

    fn close(&mut self, end: usize) {
        let Some((name, args, open, start)) = self.open.pop() else {
            return;
        };
        let directives = self.done.split_off(start).into_boxed_slice();
        self.done.push(Directive {
            span: Span::new(self.file, name.span.start as usize, end),
            name,
            args,
            block: Some(Block {
                span: Span::new(self.file, open.start as usize, end),
                directives,
            }),
        });
    }
}

struct Parser<'a, 's, S: Sink> {
    lx: Lexer<'a>,
    sink: &'s mut S,
    /// One entry per open block: whether it was reported to the sink. A `{` without a
    /// directive before it (an error) opens a block whose contents are dropped.
    stack: Vec<bool>,
    /// How many of the open blocks were not reported (their contents are dropped).
    hidden: usize,
    /// The words of the statement being read: its name, then its arguments so far
    /// (the lexer copies each word straight into this vector).
    words: Vec<Word>,
    errors: Vec<SyntaxError>,
    /// Set when reading a part of a file (see [`parse_part`]).
    part: Option<Part>,
    /// Second part: the `}` that closed blocks opened before it.
    closed_before: usize,
    /// The deepest nesting of blocks seen.
    deepest: usize,
}

impl<'a, 's, S: Sink> Parser<'a, 's, S> {
    fn new(lx: Lexer<'a>, sink: &'s mut S, errors: Vec<SyntaxError>) -> Self {
        Parser {
            lx,
            sink,
            stack: Vec::new(),
            hidden: 0,
            words: Vec::new(),
            errors,
            part: None,
            closed_before: 0,
            deepest: 0,
        }
    }

    fn error(&mut self, span: Span, message: String) {
        self.errors.push(SyntaxError { span, message });
    }

    /// Drops the statement being read.
    fn clear(&mut self) {
        self.words.clear();
    }

    /// Ends the statement being read with a terminator at `end`.
    fn finish_statement(&mut self, end: usize) {
        if !self.words.is_empty() {
            if self.hidden == 0 {
                self.sink.statement(&mut self.words, end);
            }
            self.words.clear();
        }
    }

    /// A block whose contents are dropped.
    fn open_hidden(&mut self) {
        self.stack.push(false);
        self.hidden += 1;
    }

    fn open_block(&mut self, open: Span) {
        let Some(name) = self.words.first() else {
            self.error(open, "unexpected \"{\"".into());
            self.open_hidden();
            return;
        };
        if !is_directive_name(&name.value) && name.quote == Quote::None {
            let message = format!("unknown directive \"{}\"", name.as_str());
            self.error(name.span, message);
        }
        if self.hidden > 0 {
            self.words.clear();
            self.open_hidden();
            return;
        }
        self.sink.open(&mut self.words, open);
        self.words.clear();
        self.stack.push(true);
        self.deepest = self.deepest.max(self.stack.len());
    }

    /// Closes the innermost block at `end` (after the `}`, or the end of the file).
    fn close_block(&mut self, end: usize) {
        match self.stack.pop() {
            Some(true) => self.sink.close(end),
            Some(false) => self.hidden -= 1,
            None => {}
        }
    }

    fn lua_block(&mut self) {
        match self.lx.lua_block() {
            Ok((start, end)) => {
                let body = Word {
                    value: self.lx.src()[start..end].into(),
                    span: self.lx.span(start, end),
                    quote: Quote::Raw,
                };
                self.words.push(body);
                self.finish_statement(end + 1);
            }
            Err(e) => {
                self.errors.push(e);
                self.clear();
            }
        }
    }

    fn run(&mut self) {
        loop {
            let token = match self.lx.next_token() {
                Ok(t) => t,
                Err(e) => {
                    self.errors.push(e);
                    if !self.recover() {
                        break;
                    }
                    continue;
                }
            };
            match token {
                Token::Word(w) => self.lx.push_word(w, &mut self.words),
                Token::Semi(s) => {
                    if self.words.is_empty() {
                        self.error(s, "unexpected \";\"".into());
                    } else {
                        self.finish_statement(s.end as usize);
                    }
                }
                Token::Open(s) => {
                    if self.words.first().is_some_and(|n| is_lua_block(&n.value)) {
                        self.lua_block();
                    } else if self.stack.len() >= MAX_DEPTH {
                        self.error(
                            s,
                            format!("blocks nested more than {MAX_DEPTH} levels deep; the rest of the file is skipped"),
                        );
                        self.clear();
                        self.lx.set_pos(self.lx.src().len());
                    } else {
                        self.open_block(s);
                    }
                }
                Token::Close(s) => {
                    if let Some(last) = self.words.last() {
                        // Keep the statement as if its `;` were there: most often it was
                        // simply forgotten.
                        let end = last.span.end;
                        self.error(s, "unexpected \"}\"".into());
                        self.finish_statement(end as usize);
                    }
                    if self.stack.is_empty() && self.part == Some(Part::Second) {
                        self.sink.close(s.end as usize);
                        self.closed_before += 1;
                    } else if self.stack.is_empty() {
                        if self.errors.last().map(|e| e.span) != Some(s) {
                            self.error(s, "unexpected \"}\"".into());
                        }
                    } else {
                        self.close_block(s.end as usize);
                    }
                }
                Token::Eof(s) => {
                    if self.part != Some(Part::First) {
                        self.eof(s);
                    }
                    break;
                }
            }
        }
    }

    fn eof(&mut self, s: Span) {
        if !self.words.is_empty() {
            self.error(s, "unexpected end of file, expecting \";\" or \"}\"".into());
            self.clear();
        }
        // nginx stops at its first error; one message for the end of the file is enough.
        if !self.stack.is_empty() && self.errors.last().is_none_or(|e| e.span != s) {
            self.error(s, "unexpected end of file, expecting \"}\"".into());
        }
        while !self.stack.is_empty() {
            self.close_block(s.end as usize);
        }
    }

    /// After an error inside a statement: drop the statement and skip to its `;`, or to
    /// a `}` (which still closes its block). Returns false at the end of the file.
    fn recover(&mut self) -> bool {
        self.clear();
        loop {
            match self.lx.next_token() {
                Ok(Token::Semi(_)) => return true,
                Ok(Token::Close(s)) => {
                    self.close_block(s.end as usize);
                    return true;
                }
                Ok(Token::Open(_)) => {
                    self.open_hidden();
                    return true;
                }
                Ok(Token::Eof(s)) => {
                    self.eof(s);
                    return false;
                }
                Ok(Token::Word(_)) | Err(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(src: &str) -> Parse {
        parse(src.as_bytes(), FileId(0))
    }

    fn messages(src: &str) -> Vec<String> {
        p(src).errors.into_iter().map(|e| e.message).collect()
    }

    #[test]
    fn nested_blocks() {
        let r = p("http { server { listen 443 ssl; } }");
        assert!(r.errors.is_empty());
        let server = &r.directives[0].children()[0];
        assert!(server.is("server"));
        assert_eq!(server.children()[0].arg(1).as_deref(), Some("ssl"));
    }

    #[test]
    fn regex_with_braces_is_an_error_like_nginx() {
        assert_eq!(
            messages("location ~ ^/a{2}$ { }"),
            [
                "unknown directive \"2}$\"",
                "unexpected end of file, expecting \"}\""
            ]
        );
    }

    #[test]
    fn missing_semicolon_before_brace_recovers() {
        let r = p("http { a b }\nevents { c; }");
        assert_eq!(r.errors[0].message, "unexpected \"}\"");
        assert_eq!(r.directives.len(), 2);
        assert!(r.directives[0].children()[0].is("a"));
    }

    #[test]
    fn errors_do_not_hide_later_errors() {
        let m = messages("a \"x\"y;\nb;\n;\n}\n");
        assert_eq!(
            m,
            ["unexpected \"y\"", "unexpected \";\"", "unexpected \"}\""]
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = "a {".repeat(100_000);
        let r = p(&src);
        assert!(r.errors[0].message.contains("nested more than"));
    }

    #[test]
    fn lua_block_body_is_one_argument() {
        let r = p("content_by_lua_block { ngx.say(\"}\") -- }\n }\nx;");
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.directives[0].args[0].as_str(), " ngx.say(\"}\") -- }\n ");
        assert!(r.directives[1].is("x"));
    }
}
