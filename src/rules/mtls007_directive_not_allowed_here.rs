//! # MTLS007 directive-not-allowed-here
//!
//! ## What it does
//! Reports a directive that stands in a block where nginx does not accept it:
//! `ssl_verify_client` or `ssl_client_certificate` inside a `location`, `ssl_crl` in
//! `events`, `proxy_pass` at server level.
//!
//! ## Why is this bad?
//! nginx refuses to start or reload: `nginx -t` fails with `"ssl_verify_client"
//! directive is not allowed here` at that line. Client-certificate verification is set
//! per server (the TLS handshake happens before a location is chosen); to require a
//! certificate on some paths only, use `ssl_verify_client optional` in the server and
//! check `$ssl_client_verify` in the location.
//!
//! ## Example
//! ```nginx
//! location /admin {
//!     ssl_verify_client on;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! server {
//!     ssl_verify_client optional;
//!     location /admin {
//!         if ($ssl_client_verify != SUCCESS) { return 403; }
//!     }
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_verify_client>

use super::rule::{Context, Finding, Rule, RuleInfo};
use super::support::directive_findings;
use crate::config::directives::RefusalKind;

pub struct Rule007;

crate::rule_info!(
    "MTLS007",
    "directive-not-allowed-here",
    Error,
    "mtls007_directive_not_allowed_here.rs"
);

impl Rule for Rule007 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        directive_findings(cx, &INFO, |r| r.kind == RefusalKind::NotAllowedHere, out);
    }
}
