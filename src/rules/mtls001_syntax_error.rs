//! # MTLS001 syntax-error
//!
//! ## What it does
//! Reports configuration text that nginx cannot parse: unbalanced braces, a missing `;`,
//! text glued to a closing quote, an unterminated string. The first five of a file are
//! listed, the rest counted in one more finding.
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

/// Syntax errors listed per file; the rest are counted in one more finding.
const MAX_PER_FILE: usize = 5;

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
        for parse in &cx.config.files {
            for (i, e) in parse.errors.iter().enumerate() {
                if i == MAX_PER_FILE {
                    let more = parse.errors.len() - MAX_PER_FILE;
                    out.push(
                        Finding::new(
                            &INFO,
                            Location::Span(e.span),
                            format!(
                                "{more} more syntax error{} in this file from here on, not listed (nginx stops at the first)",
                                if more == 1 { "" } else { "s" }
                            ),
                        )
                        .refused(e.message.clone())
                        .label("and more from here")
                        .help("fix the first ones; a file with many often is a template (see MTLS013) or not an nginx configuration"),
                    );
                    break;
                }
                out.push(
                    Finding::new(&INFO, Location::Span(e.span), e.message.clone())
                        .refused(e.message.clone())
                        .label("here")
                        .help("nginx -t fails on this; fix the syntax so nginx can load the file"),
                );
            }
        }
    }
}
