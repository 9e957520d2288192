//! Tokens to a tree, the way `ngx_conf_parse()` reads them, with error recovery.
//!
//! `parse` never fails: a syntax error is recorded with its span, the parser skips to the
//! next `;` or `}` (keeping `{`/`}` balanced) and goes on. Blocks are kept on an explicit
//! stack, so deep nesting cannot overflow the call stack; past [`MAX_DEPTH`] levels the
//! rest of the file is skipped with an error.

use super::ast::{Block, Directive, FileId, Parse, Quote, Span, SyntaxError, Word};
use super::lexer::{Lexer, Token};

/// Deepest block nesting accepted. Real configurations nest a handful of levels.
pub const MAX_DEPTH: usize = 200;

struct Frame {
    /// The directive that opened this block; `None` for the top level and for a `{`
    /// that had no directive before it (an error), whose contents are dropped.
    head: Option<(Word, Vec<Word>, Span)>,
    directives: Vec<Directive>,
}

/// Whether a directive's body is Lua code read verbatim (`content_by_lua_block` and
/// every other `*_by_lua_block`).
pub fn is_lua_block(name: &[u8]) -> bool {
    name.ends_with(b"_by_lua_block")
}

fn is_directive_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// Parses one file's bytes.
pub fn parse(src: &[u8], file: FileId) -> Parse {
    let mut errors = Vec::new();
    if src.starts_with(b"\xEF\xBB\xBF") {
        // nginx does not skip a byte order mark: it becomes part of the first word
        // (`unknown directive "\u{feff}events"`). Report it, then read the rest.
        errors.push(SyntaxError {
            span: Span::new(file, 0, 3),
            message: "the file starts with a UTF-8 byte order mark, which nginx reads as part of the first directive's name (unknown directive); save the file without a BOM".into(),
        });
    }
    Parser {
        lx: Lexer::new(src, file),
        file,
        stack: vec![Frame {
            head: None,
            directives: Vec::new(),
        }],
        name: None,
        args: Vec::new(),
        errors,
    }
    .run()
}

struct Parser<'a> {
    lx: Lexer<'a>,
    file: FileId,
    stack: Vec<Frame>,
    /// The name of the statement being read, and its arguments so far.
    name: Option<Word>,
    args: Vec<Word>,
    errors: Vec<SyntaxError>,
}

impl Parser<'_> {
    fn error(&mut self, span: Span, message: String) {
        self.errors.push(SyntaxError { span, message });
    }

    /// Drops the statement being read.
    fn clear(&mut self) {
        self.name = None;
        self.args.clear();
    }

    fn top(&mut self) -> &mut Frame {
        let last = self.stack.len() - 1;
        &mut self.stack[last]
    }

    /// Ends the statement in `args` with a terminator at `end`.
    fn finish_statement(&mut self, end: usize) {
        if let Some(name) = self.name.take() {
            let span = Span::new(self.file, name.span.start as usize, end);
            let d = Directive {
                name,
                args: std::mem::take(&mut self.args),
                span,
                block: None,
            };
            self.top().directives.push(d);
        }
    }

    fn open_block(&mut self, open: Span) {
        if self.name.is_none() {
            self.error(open, "unexpected \"{\"".into());
            self.stack.push(Frame {
                head: None,
                directives: Vec::new(),
            });
            return;
        }
        let Some(name) = self.name.take() else { return };
        let args = std::mem::take(&mut self.args);
        if !is_directive_name(&name.value) && name.quote == Quote::None {
            let message = format!("unknown directive \"{}\"", name.as_str());
            self.error(name.span, message);
        }
        self.stack.push(Frame {
            head: Some((name, args, open)),
            directives: Vec::new(),
        });
    }

    /// Closes the innermost block at `close` (the `}` or the end of the file).
    fn close_block(&mut self, end: usize) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        if let Some((name, args, open)) = frame.head {
            let d = Directive {
                span: Span::new(self.file, name.span.start as usize, end),
                name,
                args,
                block: Some(Block {
                    span: Span::new(self.file, open.start as usize, end),
                    directives: frame.directives,
                }),
            };
            self.top().directives.push(d);
        }
    }

    fn lua_block(&mut self) {
        match self.lx.lua_block() {
            Ok((start, end)) => {
                let body = Word {
                    value: self.lx.src()[start..end].into(),
                    span: Span::new(self.file, start, end),
                    quote: Quote::Raw,
                };
                self.args.push(body);
                self.finish_statement(end + 1);
            }
            Err(e) => {
                self.errors.push(e);
                self.clear();
            }
        }
    }

    fn run(mut self) -> Parse {
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
                Token::Word(w) => {
                    if self.name.is_none() {
                        self.name = Some(w);
                    } else {
                        self.args.push(w);
                    }
                }
                Token::Semi(s) => {
                    if self.name.is_none() {
                        self.error(s, "unexpected \";\"".into());
                    } else {
                        self.finish_statement(s.end as usize);
                    }
                }
                Token::Open(s) => {
                    if self.name.as_ref().is_some_and(|n| is_lua_block(&n.value)) {
                        self.lua_block();
                    } else if self.stack.len() > MAX_DEPTH {
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
                    if self.name.is_some() {
                        self.error(s, "unexpected \"}\"".into());
                        // Keep the statement as if its `;` were there: most often it was
                        // simply forgotten.
                        let end = self
                            .args
                            .last()
                            .or(self.name.as_ref())
                            .map_or(s.start, |w| w.span.end);
                        self.finish_statement(end as usize);
                    }
                    if self.stack.len() == 1 {
                        if self.errors.last().map(|e| e.span) != Some(s) {
                            self.error(s, "unexpected \"}\"".into());
                        }
                    } else {
                        self.close_block(s.end as usize);
                    }
                }
                Token::Eof(s) => {
                    self.eof(s);
                    break;
                }
            }
        }
        let stack = self.stack;
        let directives = stack
            .into_iter()
            .next()
            .map(|f| f.directives)
            .unwrap_or_default();
        Parse {
            directives,
            errors: self.errors,
            comments: std::mem::take(&mut self.lx.comments),
        }
    }

    fn eof(&mut self, s: Span) {
        if self.name.is_some() {
            self.error(s, "unexpected end of file, expecting \";\" or \"}\"".into());
            self.clear();
        }
        // nginx stops at its first error; one message for the end of the file is enough.
        if self.stack.len() > 1 && self.errors.last().is_none_or(|e| e.span != s) {
            self.error(s, "unexpected end of file, expecting \"}\"".into());
        }
        while self.stack.len() > 1 {
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
                    if self.stack.len() > 1 {
                        self.close_block(s.end as usize);
                    }
                    return true;
                }
                Ok(Token::Open(_)) => {
                    self.stack.push(Frame {
                        head: None,
                        directives: Vec::new(),
                    });
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
