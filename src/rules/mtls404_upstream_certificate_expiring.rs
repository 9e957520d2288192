//! # MTLS404 upstream-certificate-expiring
//!
//! ## What it does
//! Reports the certificate nginx presents to a backend (`proxy_ssl_certificate`,
//! `grpc_ssl_certificate`, `uwsgi_ssl_certificate`, stream) and the intermediates in its
//! file when they have expired, are not yet valid, or expire within the warning windows
//! (`--warn-days`, default 30, 15 and 7 days).
//!
//! ## Why is this bad?
//! `nginx -t` does not look at the dates. The backend rejects the expired certificate:
//! it logs `client SSL certificate verify error: (10:certificate has expired)` and
//! answers `400 The SSL certificate error`, which nginx passes on to the client.
//!
//! ## Example
//! ```nginx
//! proxy_ssl_certificate     client/nginx-2023.crt;   # expired
//! proxy_ssl_certificate_key client/nginx-2023.key;
//! ```
//!
//! ## Use instead
//! ```nginx
//! proxy_ssl_certificate     client/nginx.crt;        # renewed
//! proxy_ssl_certificate_key client/nginx.key;
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_ssl_certificate>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use super::support::{pass_related, presented_certificates};

pub struct Rule404;

crate::rule_info!(
    "MTLS404",
    "upstream-certificate-expiring",
    Error,
    "mtls404_upstream_certificate_expiring.rs"
);

impl Rule for Rule404 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (u, cert, bundle) in presented_certificates(cx.model, cx.files) {
            for (i, c) in bundle.certificates.iter().enumerate() {
                let Some((severity, when)) = cx.options.validity_of(&c.info) else {
                    continue;
                };
                let what = if i == 0 {
                    "the client certificate nginx presents to the backend"
                } else {
                    "the intermediate nginx sends to the backend"
                };
                let (at, rel) = pass_related(u);
                let mut f = Finding::new(
                    &INFO,
                    Location::Span(cert.span()),
                    format!("{what}, {} ({}), {when}", c.info.subject, c.location()),
                )
                .label("nginx's client certificate")
                .related(at, rel)
                .help("renew it from the CA the backend trusts and reload nginx (nginx -t && nginx -s reload)");
                f.severity = severity;
                out.push(f);
            }
        }
    }
}
