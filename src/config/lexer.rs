//! nginx's tokenizer, byte for byte.
//!
//! This follows `ngx_conf_read_token()` in nginx's `src/core/ngx_conf_file.c`:
//! - words are separated by space, tab, CR and LF only; `;` and `{` end a word, `}` does not;
//! - a word that starts with `"` or `'` is quoted, and after the closing quote only
//!   white space, `;`, `{` or `)` may follow (anything else: `unexpected "x"`);
//! - a quote inside a word is an ordinary character;
//! - a backslash protects the next byte, whatever it is;
//! - `${` does not end a word at the `{`;
//! - `#` starts a comment only where a word could start;
//! - escapes `\"`, `\'`, `\\`, `\t`, `\r`, `\n` are resolved in every word, other
//!   backslashes are kept.
//!
//! The token-level pieces are nom parsers over bytes; the driver keeps nginx's state.

use nom::bytes::complete::take_till;
use nom::{IResult, Parser};

use super::ast::{FileId, Quote, Span, SyntaxError, Word, WordBytes};

/// nginx's white space: `' '`, `'\t'`, CR and LF (nothing else).
#[inline]
pub fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// One token of the configuration.
#[derive(Debug, PartialEq, Eq)]
pub enum Token {
    /// A word, found but not yet copied out: [`Lexer::push_word`] makes it a [`Word`].
    Word(RawWord),
    /// `;`
    Semi(Span),
    /// `{`
    Open(Span),
    /// `}`
    Close(Span),
    Eof(Span),
}

/// Where a word is and how it is written. The parser copies the word out where it
/// keeps it ([`Lexer::push_word`]): handing over a finished [`Word`] through the token cost
/// more than the rest of the lexing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawWord {
    /// The word in the source, quotes included.
    pub span: Span,
    pub quote: Quote,
    /// Whether it holds a backslash.
    escaped: bool,
}

/// White space and comments, as many as there are; each comment's length is passed to
/// `comment` with what remains from its `#`.
#[inline(always)]
fn trivia<'a>(mut i: &'a [u8], comment: &mut impl FnMut(&'a [u8], usize)) -> &'a [u8] {
    loop {
        let blank = i.iter().position(|&b| !is_space(b)).unwrap_or(i.len());
        i = &i[blank..];
        if i.first() != Some(&b'#') {
            return i;
        }
        let r: IResult<&[u8], &[u8]> = take_till(|b| b == b'\n').parse(i);
        match r {
            Ok((rest, text)) => {
                comment(i, text.len());
                i = rest;
            }
            Err(_) => return i,
        }
    }
}

/// The body of a quoted word up to (not including) the closing `quote`; a backslash
/// protects the byte after it. `None` when the file ends first.
fn quoted_body(i: &[u8], quote: u8) -> Option<(usize, bool)> {
    let mut k = 0;
    let mut escaped = false;
    while k < i.len() {
        match i[k] {
            b'\\' => {
                escaped = true;
                k += 2;
            }
            b if b == quote => return Some((k, escaped)),
            _ => k += 1,
        }
    }
    None
}

/// Bytes that need a look inside an unquoted word: white space, `;`, `{`, `\\`, `$`.
const SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b' ' as usize] = true;
    t[b'\t' as usize] = true;
    t[b'\r' as usize] = true;
    t[b'\n' as usize] = true;
    t[b';' as usize] = true;
    t[b'{' as usize] = true;
    t[b'\\' as usize] = true;
    t[b'$' as usize] = true;
    t
};

/// The length of an unquoted word starting at `i[0]`, and whether it holds a backslash.
#[inline(always)]
fn unquoted_len(i: &[u8]) -> (usize, bool) {
    let mut k = 0;
    let mut escaped = false;
    loop {
        // The bytes that need no look, as fast as the CPU goes.
        while k < i.len() && !SPECIAL[i[k] as usize] {
            k += 1;
        }
        match i.get(k) {
            Some(b'\\') => {
                // The byte after a backslash is part of the word, whatever it is.
                escaped = true;
                k += 2;
            }
            // `${` does not end the word at the `{` (nginx's `variable` flag).
            Some(b'$') => {
                k += 1;
                if i.get(k) == Some(&b'{') {
                    k += 1;
                }
            }
            _ => break,
        }
    }
    (k.min(i.len()), escaped)
}

/// Resolves nginx's escapes in a word's raw bytes.
pub fn unescape(raw: &[u8]) -> WordBytes {
    if !raw.contains(&b'\\') {
        return WordBytes::from_slice(raw);
    }
    let mut out = WordBytes::with_capacity(raw.len());
    let mut k = 0;
    while k < raw.len() {
        if raw[k] == b'\\' && k + 1 < raw.len() {
            match raw[k + 1] {
                b'"' | b'\'' | b'\\' => {
                    out.push(raw[k + 1]);
                    k += 2;
                    continue;
                }
                b't' => {
                    out.push(b'\t');
                    k += 2;
                    continue;
                }
                b'r' => {
                    out.push(b'\r');
                    k += 2;
                    continue;
                }
                b'n' => {
                    out.push(b'\n');
                    k += 2;
                    continue;
                }
                _ => {}
            }
        }
        out.push(raw[k]);
        k += 1;
    }
    out
}

/// nginx's configuration read buffer (`NGX_CONF_BUFFER`): the longest word it reads.
pub const BUFFER: usize = 4096;

/// `too long parameter "aaaaaaaaaa..." started`: nginx shows the first ten bytes.
fn too_long_started(word: &[u8]) -> String {
    let head = &word[..word.len().min(10)];
    format!(
        "too long parameter \"{}...\" started",
        String::from_utf8_lossy(head)
    )
}

/// Formats a byte the way nginx does in `unexpected "%c"`.
pub fn show_byte(b: u8) -> String {
    if b.is_ascii_graphic() || b == b' ' {
        (b as char).to_string()
    } else {
        format!("\\x{b:02X}")
    }
}

/// Tokenizer over one file.
pub struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    file: FileId,
    /// The comments met so far (from `#` to the end of the line, LF excluded).
    pub comments: Vec<Span>,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a [u8], file: FileId) -> Lexer<'a> {
        // A UTF-8 byte order mark is not part of the configuration.
        let pos = if src.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        Lexer {
            src,
            pos,
            file,
            comments: Vec::new(),
        }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn src(&self) -> &'a [u8] {
        self.src
    }

    pub fn set_pos(&mut self, pos: usize) {
        self.pos = pos.min(self.src.len());
    }

    pub fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    /// The next token. A syntax error inside a token is returned as `Err`, with the
    /// lexer already past the offending byte. Inlined into the parser's loop: returning
    /// the token through memory cost a store-forwarding stall per token.
    #[inline(always)]
    pub fn next_token(&mut self) -> Result<Token, SyntaxError> {
        let len = self.src.len();
        let file = self.file;
        let comments = &mut self.comments;
        let rest = trivia(&self.src[self.pos..], &mut |at: &[u8], n| {
            let start = len - at.len();
            comments.push(Span::new(file, start, start + n));
        });
        let start = self.src.len() - rest.len();
        self.pos = start;
        let Some(&b) = rest.first() else {
            return Ok(Token::Eof(self.span(start, start)));
        };
        match b {
            b';' => {
                self.pos += 1;
                Ok(Token::Semi(self.span(start, start + 1)))
            }
            b'{' => {
                self.pos += 1;
                Ok(Token::Open(self.span(start, start + 1)))
            }
            b'}' => {
                self.pos += 1;
                Ok(Token::Close(self.span(start, start + 1)))
            }
            b'"' | b'\'' => {
                let found = quoted_body(&rest[1..], b);
                let body = found.map(|(len, _)| len);
                // nginx reads words through a 4096-byte buffer (NGX_CONF_BUFFER): the
                // word, its closing quote and the byte after it must fit.
                let too_long = match body {
                    Some(len) => len + 2 > BUFFER,
                    None => rest.len() > BUFFER,
                };
                if too_long {
                    let end = body.map_or(self.src.len(), |len| start + len + 2);
                    self.pos = end;
                    let message = if body.is_some_and(|len| len + 1 == BUFFER) {
                        too_long_started(&rest[1..])
                    } else {
                        format!(
                            "too long parameter, probably missing terminating \"{}\" character",
                            b as char
                        )
                    };
                    return Err(SyntaxError {
                        span: self.span(start, end),
                        message,
                    });
                }
                let Some((len, escaped)) = found else {
                    // nginx notices at the end of the file, and reports that line.
                    let end = self.src.len();
                    self.pos = end;
                    return Err(SyntaxError {
                        span: self.span(end, end),
                        message: "unexpected end of file, expecting \";\" or \"}\"".into(),
                    });
                };
                let end = start + 1 + len + 1;
                self.pos = end;
                let word = RawWord {
                    span: self.span(start, end),
                    quote: if b == b'"' {
                        Quote::Double
                    } else {
                        Quote::Single
                    },
                    escaped,
                };
                // After a closing quote nginx needs a space, `;`, `{` or `)`.
                match self.src.get(end) {
                    None => Ok(Token::Word(word)),
                    Some(&c) if is_space(c) || c == b';' || c == b'{' || c == b')' => {
                        Ok(Token::Word(word))
                    }
                    Some(&c) => {
                        self.pos = end + 1;
                        Err(SyntaxError {
                            span: self.span(end, end + 1),
                            message: format!("unexpected \"{}\"", show_byte(c)),
                        })
                    }
                }
            }
            _ => {
                let (len, escaped) = unquoted_len(rest);
                let end = start + len;
                self.pos = end;
                if len >= BUFFER {
                    return Err(SyntaxError {
                        span: self.span(start, end),
                        message: too_long_started(rest),
                    });
                }
                Ok(Token::Word(RawWord {
                    span: self.span(start, end),
                    quote: Quote::None,
                    escaped,
                }))
            }
        }
    }

    /// The bytes of a [`Token::Word`] between its quotes.
    fn body(&self, w: RawWord) -> &'a [u8] {
        let (start, end) = (w.span.start as usize, w.span.end as usize);
        match w.quote {
            Quote::None | Quote::Raw => &self.src[start..end],
            Quote::Single | Quote::Double => &self.src[start + 1..end - 1],
        }
    }

    /// Appends the word a [`Token::Word`] stands for to `words`. The bytes are copied
    /// into the word where it lies in the vector: a word built first and then moved
    /// there made the CPU wait for the copy (a store-forwarding stall per word).
    #[inline(always)]
    pub fn push_word(&self, w: RawWord, words: &mut Vec<Word>) {
        words.push(Word {
            value: WordBytes::new(),
            span: w.span,
            quote: w.quote,
        });
        if let Some(last) = words.last_mut() {
            let body = self.body(w);
            if w.escaped {
                last.value = unescape(body);
            } else {
                last.value.extend_from_slice(body);
            }
        }
    }

    /// Reads the body of a `*_by_lua_block` after its `{`: Lua code up to the matching
    /// `}`, with braces inside Lua strings and comments ignored. Returns the body's
    /// range and leaves the lexer after the closing `}`; the error lua-nginx-module
    /// reports when the file ends first or a long bracket is never closed.
    pub fn lua_block(&mut self) -> Result<(usize, usize), SyntaxError> {
        let s = self.src;
        let start = self.pos;
        let mut k = start;
        let mut depth = 1usize;
        while k < s.len() {
            match s[k] {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        self.pos = k + 1;
                        return Ok((start, k));
                    }
                }
                q @ (b'"' | b'\'') => {
                    k += 1;
                    while k < s.len() && s[k] != q && s[k] != b'\n' {
                        if s[k] == b'\\' {
                            k += 1;
                        }
                        k += 1;
                    }
                }
                b'[' => {
                    if let Some(end) = long_bracket(&s[k..]) {
                        k += self.closed_bracket(k, end)?;
                        continue;
                    }
                }
                b'-' if s.get(k + 1) == Some(&b'-') => {
                    k += 2;
                    if s.get(k) == Some(&b'[')
                        && let Some(end) = long_bracket(&s[k..])
                    {
                        k += self.closed_bracket(k, end)?;
                        continue;
                    }
                    while k < s.len() && s[k] != b'\n' {
                        k += 1;
                    }
                    continue;
                }
                _ => {}
            }
            k += 1;
        }
        self.pos = s.len();
        // lua-nginx-module reports the line where the block opened.
        Err(SyntaxError {
            span: self.span(start.saturating_sub(1), start),
            message: "unexpected end of file, expecting terminating characters for lua code block"
                .into(),
        })
    }

    /// A long bracket found at `k` with `end` from [`long_bracket`]: its length, or
    /// lua-nginx-module's error when it is never closed.
    fn closed_bracket(&mut self, k: usize, end: Option<usize>) -> Result<usize, SyntaxError> {
        match end {
            Some(n) => Ok(n),
            None => {
                let level = self.src[k + 1..].iter().take_while(|&&b| b == b'=').count();
                self.pos = self.src.len();
                Err(SyntaxError {
                    span: self.span(k, k + level + 2),
                    message: format!(
                        "Lua code block missing the closing long bracket \"]{}]\", the inlined Lua code may be too long",
                        "=".repeat(level)
                    ),
                })
            }
        }
    }
}

/// A Lua long bracket `[[ ... ]]` or `[==[ ... ]==]` at the start of `s`: `None` when
/// `s` does not start one, else its length (`None` inside when it is never closed).
fn long_bracket(s: &[u8]) -> Option<Option<usize>> {
    let level = s[1..].iter().take_while(|&&b| b == b'=').count();
    if s.get(1 + level) != Some(&b'[') {
        return None;
    }
    let body = 2 + level;
    let mut close = Vec::with_capacity(level + 2);
    close.push(b']');
    close.extend(std::iter::repeat_n(b'=', level));
    close.push(b']');
    Some(
        s[body..]
            .windows(close.len())
            .position(|w| w == close.as_slice())
            .map(|p| body + p + close.len()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(src: &str) -> Vec<String> {
        let mut lx = Lexer::new(src.as_bytes(), FileId(0));
        let mut out = Vec::new();
        loop {
            match lx.next_token() {
                Ok(Token::Eof(_)) => return out,
                Ok(Token::Word(w)) => {
                    let mut word = Vec::new();
                    lx.push_word(w, &mut word);
                    out.extend(word.iter().map(|w| w.as_str().into_owned()));
                }
                Ok(Token::Semi(_)) => out.push(";".into()),
                Ok(Token::Open(_)) => out.push("{".into()),
                Ok(Token::Close(_)) => out.push("}".into()),
                Err(e) => out.push(format!("ERR {}", e.message)),
            }
        }
    }

    #[test]
    fn right_brace_does_not_end_a_word() {
        assert_eq!(
            words("location ~ ^/a{2}$ { }"),
            ["location", "~", "^/a", "{", "2}$", "{", "}"]
        );
    }

    #[test]
    fn dollar_brace_stays_in_word() {
        assert_eq!(
            words("try_files /a/${uri}.html;"),
            ["try_files", "/a/${uri}.html", ";"]
        );
    }

    #[test]
    fn escapes_resolved_like_nginx() {
        assert_eq!(
            words(r#"a "x\"y\\z\n" \#b\ c;"#),
            ["a", "x\"y\\z\n", r"\#b\ c", ";"]
        );
    }

    #[test]
    fn text_after_closing_quote_is_an_error() {
        assert_eq!(
            words(r#""left"-quote;"#),
            ["ERR unexpected \"-\"", "quote", ";"]
        );
    }

    #[test]
    fn comments_only_where_a_word_starts() {
        assert_eq!(words("a#b # c\n;"), ["a#b", ";"]);
    }

    #[test]
    fn bom_is_skipped() {
        assert_eq!(words("\u{feff}user x;"), ["user", "x", ";"]);
    }
}
