//! # MTLS108 crl-not-from-trusted-ca
//!
//! ## What it does
//! Reports a CRL in `ssl_crl` that names a CA of the server's trust files as issuer but
//! is not signed by it (an error), and, as a warning, a CRL whose issuer is no CA of
//! the trust files (it is used only if clients send that CA as an intermediate).
//!
//! ## Why is this bad?
//! OpenSSL looks CRLs up by their issuer; a CRL of another CA is never used, so the
//! certificates it should revoke stay accepted, and the CA that does issue the clients
//! has no CRL: they are all rejected with `FAILED:unable to get certificate CRL`
//! (see MTLS109).
//!
//! ## Example
//! ```nginx
//! ssl_client_certificate client-ca.pem;
//! ssl_crl                other-ca.crl;
//! ```
//!
//! ## Use instead
//! ```nginx
//! ssl_client_certificate client-ca.pem;
//! ssl_crl                client-ca.crl;   # issued by the CAs in client-ca.pem
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_crl>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use super::support::crl_signed_by;

pub struct Rule108;

crate::rule_info!(
    "MTLS108",
    "crl-not-from-trusted-ca",
    Error,
    "mtls108_crl_not_from_trusted_ca.rs"
);

impl Rule for Rule108 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for s in &cx.model.servers {
            let (Some(setting), true) = (s.ssl.crl, s.mtls()) else {
                continue;
            };
            let store = cx.files.trust_store(cx.model, s);
            for crl in cx.files.crls(cx.model, s) {
                if store.iter().any(|ca| crl_signed_by(crl, ca)) {
                    continue;
                }
                let same_name = store
                    .iter()
                    .any(|ca| ca.info.subject_canonical == crl.info.issuer_canonical);
                let mut f = Finding::new(
                        &INFO,
                        Location::Span(setting.span()),
                        format!(
                            "CRL #{} (issuer {}) {}",
                            crl.origin.index,
                            crl.info.issuer,
                            if same_name {
                                "is not signed by the trusted CA of that name: OpenSSL rejects it, and clients get FAILED:CRL signature failure"
                            } else {
                                "was not issued by any CA of the trust files: it is used only when a client sends that CA as an intermediate"
                            }
                        ),
                    )
                    .label(if same_name { "CRL with a bad signature" } else { "CRL of an unknown CA" })
                    .help("put the CRLs of the CAs in ssl_client_certificate/ssl_trusted_certificate (and of the intermediates clients send) into this file");
                if !same_name {
                    f.severity = super::rule::Severity::Warning;
                }
                out.push(f);
            }
        }
    }
}
