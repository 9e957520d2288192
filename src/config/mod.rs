//! Reading nginx configurations: tokenizer, parser, include resolution, `nginx -T`
//! dumps and crossplane-compatible JSON.

pub mod ast;
pub mod crossplane;
pub mod directives;
pub mod dump;
pub mod fragment;
pub mod lexer;
pub mod load;
pub mod parser;
pub mod pretty;
pub mod refusals;
pub mod source;
pub mod template;
pub mod variables;

pub use ast::{Block, Directive, FileId, Parse, Quote, Span, SyntaxError, Word};
pub use load::{Config, Input, LoadError, LoadErrorKind, LoadOptions, Visit, load};
pub use parser::parse;
pub use source::Sources;
