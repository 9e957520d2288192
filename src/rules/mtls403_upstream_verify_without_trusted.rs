//! # MTLS403 upstream-verify-without-trusted
//!
//! ## What it does
//! Reports `proxy_ssl_verify on` (`grpc_ssl_verify`, `uwsgi_ssl_verify`, stream) without a
//! `proxy_ssl_trusted_certificate` in effect, where nginx connects with TLS.
//!
//! ## Why is this bad?
//! nginx refuses to start: `no proxy_ssl_trusted_certificate for proxy_ssl_verify`. nginx
//! does not use the system's CA store for backends.
//!
//! ## Example
//! ```nginx
//! location / {
//!     proxy_pass https://backend.internal;
//!     proxy_ssl_verify on;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! location / {
//!     proxy_pass https://backend.internal;
//!     proxy_ssl_verify on;
//!     proxy_ssl_trusted_certificate /etc/nginx/backend-ca.pem;
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_ssl_verify>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use super::support::{pass_related, tls_upstreams};

pub struct Rule403;

crate::rule_info!(
    "MTLS403",
    "upstream-verify-without-trusted",
    Error,
    "mtls403_upstream_verify_without_trusted.rs"
);

impl Rule for Rule403 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let mut seen = std::collections::HashSet::new();
        for u in tls_upstreams(cx.model) {
            let Some(verify) = u.ssl.verify else { continue };
            if !u.verifies() || u.ssl.trusted_certificate.is_some() || seen.contains(&verify.span())
            {
                continue;
            }
            seen.insert(verify.span());
            let trusted = u.module.directive("trusted_certificate");
            let msg = format!("no {trusted} for {}", u.module.directive("verify"));
            let (at, what) = pass_related(u);
            out.push(
                Finding::new(&INFO, Location::Span(verify.span()), msg.clone())
                    .refused(msg)
                    .label("verifies the backend against nothing")
                    .related(at, what)
                    .help(format!("add `{trusted} /path/to/backend-ca.pem;` with the CA that issued the backend's certificate")),
            );
        }
    }
}
