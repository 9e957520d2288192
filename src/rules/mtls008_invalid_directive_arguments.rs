//! # MTLS008 invalid-directive-arguments
//!
//! ## What it does
//! Reports a directive with a number of arguments nginx does not accept
//! (`ssl_client_certificate a.pem b.pem;`, `ssl_verify_client;`), a block directive
//! without its `{` and a simple directive followed by a block.
//!
//! ## Why is this bad?
//! nginx refuses to start or reload: `nginx -t` fails with `invalid number of arguments
//! in "ssl_client_certificate" directive` (or `directive "server" has no opening "{"`)
//! at that line. `ssl_client_certificate` takes one file: put every CA into that file.
//!
//! ## Example
//! ```nginx
//! ssl_client_certificate root.pem intermediate.pem;
//! ```
//!
//! ## Use instead
//! ```nginx
//! # cat intermediate.pem root.pem > client-ca.pem
//! ssl_client_certificate client-ca.pem;
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_client_certificate>

use super::rule::{Context, Finding, Rule, RuleInfo};
use super::support::directive_findings;
use crate::config::directives::RefusalKind;

pub struct Rule008;

crate::rule_info!(
    "MTLS008",
    "invalid-directive-arguments",
    Error,
    "mtls008_invalid_directive_arguments.rs"
);

impl Rule for Rule008 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        directive_findings(
            cx,
            &INFO,
            |r| {
                matches!(
                    r.kind,
                    RefusalKind::InvalidNumberOfArguments
                        | RefusalKind::NotTerminatedBySemicolon
                        | RefusalKind::NoOpeningBrace
                )
            },
            out,
        );
    }
}
