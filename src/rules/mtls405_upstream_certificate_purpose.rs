//! # MTLS405 upstream-certificate-purpose
//!
//! ## What it does
//! Reports a certificate nginx presents to a backend that is not fit for a TLS client:
//! an `extendedKeyUsage` without `clientAuth`, or a `keyUsage` without
//! `digitalSignature` (and without `keyAgreement`), as OpenSSL's `sslclient` purpose
//! check reads them.
//!
//! ## Why is this bad?
//! A backend that checks the purpose (nginx with `ssl_verify_client` does) rejects it:
//! `client SSL certificate verify error: (26:unsuitable certificate purpose)`, and answers
//! `400 The SSL certificate error`. A server certificate (`serverAuth` only) reused as
//! nginx's client certificate is the usual cause.
//!
//! ## Example
//! ```nginx
//! # the server certificate, EKU serverAuth only
//! proxy_ssl_certificate     /etc/nginx/tls/server.crt;
//! proxy_ssl_certificate_key /etc/nginx/tls/server.key;
//! ```
//!
//! ## Use instead
//! ```nginx
//! # issued with extendedKeyUsage = clientAuth
//! proxy_ssl_certificate     /etc/nginx/tls/nginx-client.crt;
//! proxy_ssl_certificate_key /etc/nginx/tls/nginx-client.key;
//! ```
//!
//! ## References
//! - <https://docs.openssl.org/3.0/man3/X509_check_purpose/>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use super::support::{pass_related, presented_certificates};
use crate::certs::verify::purpose_ssl_client;

pub struct Rule405;

crate::rule_info!(
    "MTLS405",
    "upstream-certificate-purpose",
    Error,
    "mtls405_upstream_certificate_purpose.rs"
);

impl Rule for Rule405 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (u, cert, bundle) in presented_certificates(cx.model, cx.files) {
            let Some(leaf) = bundle.certificates.first() else {
                continue;
            };
            if purpose_ssl_client(&leaf.info, false) {
                continue;
            }
            let why = if leaf
                .info
                .extended_key_usage
                .as_ref()
                .is_some_and(|e| !e.client_auth)
            {
                "its extendedKeyUsage has no clientAuth"
            } else {
                "its keyUsage allows neither digitalSignature nor keyAgreement"
            };
            let (at, rel) = pass_related(u);
            out.push(
                Finding::new(
                    &INFO,
                    Location::Span(cert.span()),
                    format!(
                        "the certificate nginx presents to the backend, {} ({}), is not a TLS client certificate: {why}, so a backend that verifies it logs (26:unsuitable certificate purpose) and answers 400",
                        leaf.info.subject,
                        leaf.location()
                    ),
                )
                .label("not for client authentication")
                .related(at, rel)
                .help("issue nginx a certificate with `extendedKeyUsage = clientAuth` (and `keyUsage = digitalSignature`) from the CA the backend trusts"),
            );
        }
    }
}
