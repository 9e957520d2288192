//! # MTLS005 unknown-directive
//!
//! ## What it does
//! Reports a directive that nginx does not have in the version checked
//! (`--nginx-version`, default the newest), with a "did you mean" for a near miss:
//! `ssl_verfy_client`, `ssl_client_certficate`, or `ssl on;` after nginx 1.25.1.
//!
//! ## Why is this bad?
//! nginx refuses to start or reload: `nginx -t` fails with `unknown directive
//! "ssl_verfy_client"` at that line. A directive of a third-party module that the
//! configuration loads (or that is well known, such as lua, njs or headers-more) is not
//! reported here but as MTLS006 (not checked).
//!
//! The facts come from nginx's own `ngx_command_t` arrays, for every module that
//! Debian's and nginx.org's packages build (`tools/gen-directives.py`).
//!
//! ## Example
//! ```nginx
//! server {
//!     ssl_verfy_client on;
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
//! - <https://nginx.org/en/docs/dirindex.html>

use super::rule::{Context, Finding, Rule, RuleInfo};
use super::support::directive_findings;
use crate::config::directives::RefusalKind;

pub struct Rule005;

crate::rule_info!(
    "MTLS005",
    "unknown-directive",
    Error,
    "mtls005_unknown_directive.rs"
);

impl Rule for Rule005 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        directive_findings(
            cx,
            &INFO,
            |r| r.kind == RefusalKind::UnknownDirective && !r.not_checked,
            out,
        );
    }
}
