//! # MTLS010 duplicate-directive
//!
//! ## What it does
//! Reports a directive given a second time in the same block where nginx refuses that
//! (`ssl_verify_client`, `ssl_client_certificate`, `ssl_verify_depth`, `ssl_crl`, and
//! every other directive whose value is a single setting), also across included files.
//!
//! ## Why is this bad?
//! nginx refuses to start or reload: `nginx -t` fails with `"ssl_client_certificate"
//! directive is duplicate` at the second one. A second CA file does not add to the
//! first: put every CA into one file.
//!
//! ## Example
//! ```nginx
//! ssl_client_certificate root.pem;
//! ssl_client_certificate intermediate.pem;
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

pub struct Rule010;

crate::rule_info!(
    "MTLS010",
    "duplicate-directive",
    Error,
    "mtls010_duplicate_directive.rs"
);

impl Rule for Rule010 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        directive_findings(cx, &INFO, |r| r.kind == RefusalKind::Duplicate, out);
    }
}
