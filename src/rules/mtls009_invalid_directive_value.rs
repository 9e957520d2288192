//! # MTLS009 invalid-directive-value
//!
//! ## What it does
//! Reports a value nginx refuses when it reads the configuration: `ssl_verify_client
//! require` (or `yes`, `true`), `on`/`off` directives given anything else, numbers,
//! sizes and times nginx cannot parse (`ssl_verify_depth two`, `ssl_buffer_size 1q`,
//! `ssl_session_timeout 5x`), protocols it does not know, a malformed
//! `ssl_session_cache`.
//!
//! ## Why is this bad?
//! nginx refuses to start or reload: `nginx -t` fails with `invalid value "require"`
//! (or `"ssl_verify_depth" directive invalid number`) at that line. Tutorials that
//! write `ssl_verify_client require;` describe a value nginx never had: the values are
//! `on`, `off`, `optional` and `optional_no_ca`.
//!
//! ## Example
//! ```nginx
//! ssl_verify_client require;
//! ```
//!
//! ## Use instead
//! ```nginx
//! ssl_verify_client on;
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_verify_client>

use super::rule::{Context, Finding, Rule, RuleInfo};
use super::support::directive_findings;
use crate::config::directives::RefusalKind;

pub struct Rule009;

crate::rule_info!(
    "MTLS009",
    "invalid-directive-value",
    Error,
    "mtls009_invalid_directive_value.rs"
);

impl Rule for Rule009 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        directive_findings(cx, &INFO, |r| r.kind == RefusalKind::InvalidValue, out);
    }
}
