//! # MTLS407 upstream-not-verified
//!
//! ## What it does
//! Reports a `proxy_ssl_trusted_certificate` or `proxy_ssl_crl` (and the other modules')
//! in effect where nginx connects with TLS but `proxy_ssl_verify` is off (the default).
//!
//! ## Why is this bad?
//! The configuration reads as if the backend were verified, but nginx accepts any
//! certificate the backend presents: it does not even read the trusted file (measured:
//! a missing file passes `nginx -t`). A man in the middle between nginx and the backend
//! goes unnoticed.
//!
//! ## Example
//! ```nginx
//! proxy_pass https://backend.internal;
//! proxy_ssl_trusted_certificate /etc/nginx/backend-ca.pem;
//! ```
//!
//! ## Use instead
//! ```nginx
//! proxy_pass https://backend.internal;
//! proxy_ssl_trusted_certificate /etc/nginx/backend-ca.pem;
//! proxy_ssl_verify on;
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_ssl_verify>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use super::support::{pass_related, tls_upstreams};

pub struct Rule407;

crate::rule_info!(
    "MTLS407",
    "upstream-not-verified",
    Warning,
    "mtls407_upstream_not_verified.rs"
);

impl Rule for Rule407 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let mut seen = std::collections::HashSet::new();
        for u in tls_upstreams(cx.model) {
            if u.verifies() {
                continue;
            }
            let Some(s) = u.ssl.trusted_certificate.or(u.ssl.crl) else {
                continue;
            };
            if seen.contains(&s.span()) {
                continue;
            }
            seen.insert(s.span());
            let verify = u.module.directive("verify");
            let (at, rel) = pass_related(u);
            let mut f = Finding::new(
                &INFO,
                Location::Span(s.span()),
                format!(
                    "{} is set but {verify} is {}: nginx does not verify the backend's certificate at all",
                    s.directive.name.as_str(),
                    if u.ssl.verify.is_some() { "off" } else { "off (the default)" }
                ),
            )
            .label("never read")
            .related(at, rel)
            .help(format!("add `{verify} on;` (and `{} on;` with the backend's name in `{}` if it is not the host of the pass)", u.module.directive("server_name"), u.module.directive("name")));
            if let Some(v) = u.ssl.verify {
                f = f.related(Location::Span(v.span()), "verification turned off here");
            }
            out.push(f);
        }
    }
}
