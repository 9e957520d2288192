//! The syntax tree of an nginx configuration file.
//!
//! Every node carries a [`Span`]: the file it came from and a byte range in that file.
//! Line and column numbers are computed from spans only when something is reported
//! (see [`crate::config::source::Sources::line_col`]).

use std::borrow::Cow;

/// Index of a file in [`crate::config::source::Sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range `start..end` in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A word's bytes; short words (most of them) are stored inline, without allocating.
pub type WordBytes = smallvec::SmallVec<[u8; 24]>;

/// How a word was written in the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quote {
    /// `word`
    None,
    /// `'word'`
    Single,
    /// `"word"`
    Double,
    /// The body of a `*_by_lua_block { ... }` directive, taken verbatim.
    Raw,
}

/// One word of a directive: its name or one of its arguments.
///
/// `value` holds the bytes nginx sees after it removed the quotes and resolved the
/// escapes `\"`, `\'`, `\\`, `\t`, `\r` and `\n` (other backslashes are kept, as nginx
/// keeps them). The bytes need not be UTF-8.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub value: WordBytes,
    pub span: Span,
    pub quote: Quote,
}

impl Word {
    /// The value as text; bytes that are not UTF-8 become U+FFFD.
    pub fn as_str(&self) -> Cow<'_, str> {
        match std::str::from_utf8(&self.value) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(&self.value),
        }
    }

    /// Whether the value is exactly `s`.
    pub fn is(&self, s: &str) -> bool {
        self.value.as_slice() == s.as_bytes()
    }
}

/// A directive: `name arg1 arg2;` or `name args { ... }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    pub name: Word,
    pub args: Box<[Word]>,
    /// From the first byte of the name to the terminating `;`, or to the closing `}`
    /// of the block.
    pub span: Span,
    pub block: Option<Block>,
}

impl Directive {
    pub fn is(&self, name: &str) -> bool {
        self.name.is(name)
    }

    /// The argument at `i` as text, if there is one.
    pub fn arg(&self, i: usize) -> Option<Cow<'_, str>> {
        self.args.get(i).map(Word::as_str)
    }

    /// The directives inside this directive's block (empty when it has none).
    pub fn children(&self) -> &[Directive] {
        self.block.as_ref().map_or(&[], |b| &b.directives)
    }
}

/// The `{ ... }` of a block directive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// From `{` to `}` inclusive (to the end of the file when it was never closed).
    pub span: Span,
    pub directives: Box<[Directive]>,
}

/// A syntax error, with the place where nginx would report it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
}

/// The result of parsing one file: never fails, errors are collected.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parse {
    pub directives: Vec<Directive>,
    pub errors: Vec<SyntaxError>,
    /// Every comment, `#` to the end of its line.
    pub comments: Vec<Span>,
}
