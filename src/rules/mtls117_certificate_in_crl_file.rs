//! # MTLS117 certificate-in-crl-file
//!
//! ## What it does
//! Reports certificates inside the file named by `ssl_crl`.
//!
//! ## Why is this bad?
//! nginx loads the `ssl_crl` file into the same OpenSSL store as the trusted CAs, so a
//! certificate there becomes a trust anchor: a root placed in the CRL file makes clients
//! of that root verify as `SUCCESS` even though `ssl_client_certificate` names another CA.
//! Measured with nginx 1.22 / OpenSSL 3.0 (docs/nginx-behaviour.md).
//!
//! ## Example
//! ```nginx
//! ssl_crl /etc/nginx/tls/crl-and-ca.pem;   # X509 CRL + CERTIFICATE
//! ```
//!
//! ## Use instead
//! ```nginx
//! ssl_crl /etc/nginx/tls/crls.pem;   # CRLs only
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_crl>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};

pub struct Rule117;

crate::rule_info!(
    "MTLS117",
    "certificate-in-crl-file",
    Error,
    "mtls117_certificate_in_crl_file.rs"
);

impl Rule for Rule117 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for s in &cx.model.servers {
            let Some(setting) = s.ssl.crl else { continue };
            let Some(bundle) = cx.files.bundle(cx.model, Some(setting)) else {
                continue;
            };
            for c in &bundle.certificates {
                out.push(
                    Finding::new(
                        &INFO,
                        Location::Span(setting.span()),
                        format!(
                            "the CRL file holds certificate #{} ({}): nginx trusts it like a CA from ssl_client_certificate",
                            c.origin.index, c.info.subject
                        ),
                    )
                    .label("certificate in the CRL file")
                    .help("keep only X509 CRL blocks in the ssl_crl file; put CA certificates in ssl_client_certificate"),
                );
            }
        }
    }
}
