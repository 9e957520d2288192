//! # MTLS116 no-ca-names-advertised
//!
//! ## What it does
//! Reports a server that verifies client certificates with `ssl_trusted_certificate`
//! only (no `ssl_client_certificate`).
//!
//! ## Why is this bad?
//! Only `ssl_client_certificate` is advertised in the CertificateRequest
//! (`openssl s_client` shows `No client certificate CA names sent`). Browsers and OS
//! keychains then offer every certificate they have, or none, and automated clients
//! that pick a certificate by CA name send nothing.
//!
//! ## Example
//! ```nginx
//! ssl_verify_client       optional_no_ca;
//! ssl_trusted_certificate /etc/nginx/tls/client-ca.pem;
//! ```
//!
//! ## Use instead
//! ```nginx
//! ssl_verify_client      optional_no_ca;
//! ssl_client_certificate /etc/nginx/tls/client-ca.pem;
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_trusted_certificate>
//! - docs/nginx-behaviour.md, section 6 (CA names, measured)

use super::rule::{Context, Finding, Location, Rule, RuleInfo};

pub struct Rule116;

crate::rule_info!(
    "MTLS116",
    "no-ca-names-advertised",
    Info,
    "mtls116_no_ca_names_advertised.rs"
);

impl Rule for Rule116 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for s in &cx.model.servers {
            // A snippet read alone: what it lacks may be in the server that includes it.
            if s.snippet {
                continue;
            }
            if !s.mtls() || s.ssl.client_certificate.is_some() {
                continue;
            }
            let Some(t) = s.ssl.trusted_certificate else {
                continue;
            };
            out.push(
                Finding::new(
                    &INFO,
                    Location::Span(t.span()),
                    "client certificates are verified against ssl_trusted_certificate only: the CertificateRequest names no CA, so browsers offer every certificate or none",
                )
                .label("verified, never advertised")
                .help("name the issuing CAs with ssl_client_certificate (they are then advertised); keep ssl_trusted_certificate for CAs that must not be"),
            );
        }
    }
}
