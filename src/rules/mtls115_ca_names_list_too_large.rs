//! # MTLS115 ca-names-list-too-large
//!
//! ## What it does
//! Counts the CA names nginx sends in the TLS CertificateRequest (the subject of every
//! certificate in `ssl_client_certificate`) and reports lists over 100 names or 16 KiB,
//! and, as an error, over the protocol limit of 65,535 bytes.
//!
//! ## Why is this bad?
//! Every handshake carries the whole list. Past one TLS record (16 KiB) some clients and
//! middleboxes fail the handshake, past 64 KiB it cannot be encoded at all, and browsers
//! use the list to pick a certificate: a huge list slows every connection and hides the
//! right certificate among many.
//!
//! ## Example
//! ```nginx
//! ssl_client_certificate /etc/ssl/certs/ca-certificates.crt;   # every public root
//! ```
//!
//! ## Use instead
//! ```nginx
//! ssl_client_certificate /etc/nginx/tls/client-ca.pem;           # only the client-issuing CAs
//! ssl_trusted_certificate /etc/nginx/tls/other-roots.pem;         # verified, not advertised
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_client_certificate>
//! - RFC 8446 section 4.2.4 (certificate_authorities), RFC 5246 section 7.4.4

use x509_parser::prelude::FromDer;

use super::rule::{Context, Finding, Location, Rule, RuleInfo, Severity};

pub struct Rule115;

crate::rule_info!(
    "MTLS115",
    "ca-names-list-too-large",
    Warning,
    "mtls115_ca_names_list_too_large.rs"
);

const MAX_NAMES: usize = 100;
const MAX_BYTES: usize = 16 * 1024;
const PROTOCOL_LIMIT: usize = 65_535;

impl Rule for Rule115 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for s in &cx.model.servers {
            if !s.mtls() {
                continue;
            }
            let Some(setting) = s.ssl.client_certificate else {
                continue;
            };
            let Some(bundle) = cx.files.bundle(cx.model, Some(setting)) else {
                continue;
            };
            let names = bundle.certificates.len();
            let bytes: usize = 2 + bundle
                .certificates
                .iter()
                .map(|c| {
                    x509_parser::certificate::X509Certificate::from_der(&c.der)
                        .map(|(_, x)| x.tbs_certificate.subject.as_raw().len() + 2)
                        .unwrap_or(0)
                })
                .sum::<usize>();
            if names <= MAX_NAMES && bytes <= MAX_BYTES {
                continue;
            }
            let mut f = Finding::new(
                &INFO,
                Location::Span(setting.span()),
                format!(
                    "the CertificateRequest lists {names} CA names ({bytes} bytes){}",
                    if bytes > PROTOCOL_LIMIT {
                        ": over the TLS limit of 65535 bytes, handshakes that request a client certificate fail"
                    } else {
                        ": every handshake carries them, some clients fail past one 16 KiB record, and users must pick from many certificates"
                    }
                ),
            )
            .label("advertised to every client")
            .help("keep only the CAs that issue client certificates in ssl_client_certificate; move other trusted CAs to ssl_trusted_certificate (used for verification, never advertised)");
            if bytes > PROTOCOL_LIMIT {
                f.severity = Severity::Error;
            }
            out.push(f);
        }
    }
}
