//! # MTLS001 syntax-error
//!
//! ## What it does
//! Reports configuration text that nginx cannot parse: unbalanced braces, a missing `;`,
//! text glued to a closing quote, an unterminated string.
//!
//! ## Why is this bad?
//! nginx refuses to start or reload with a syntax error (`nginx -t` fails), and
//! every other check of this file is only as good as what could be read around the error.
//!
//! ## Example
//! ```nginx
//! server {
//!     ssl_verify_client on
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! server {
//!     ssl_verify_client on;
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/beginners_guide.html#conf_structure>

use super::rule::{Context, Finding, Location, Rule, RuleInfo, Severity};

pub struct SyntaxError;

static INFO: RuleInfo = RuleInfo {
    code: "MTLS001",
    name: "syntax-error",
    severity: Severity::Error,
    source: include_str!("mtls001_syntax_error.rs"),
};

impl Rule for SyntaxError {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for e in cx.config.syntax_errors() {
            out.push(
                Finding::new(&INFO, Location::Span(e.span), e.message.clone())
                    .refused(e.message.clone())
                    .label("here")
                    .help("nginx -t fails on this; fix the syntax so nginx can load the file"),
            );
        }
    }
}
