//! # MTLS109 crl-missing-for-ca
//!
//! ## What it does
//! With `ssl_crl` set, reports each CA of the trust files, the root included, that has
//! no CRL in the `ssl_crl` file, and, up to OpenSSL 3.5 (`--openssl-version`,
//! `--nginx-binary`), each self-signed certificate trusted as itself (a pinned client
//! certificate) without a CRL of its own.
//!
//! ## Why is this bad?
//! nginx turns on CRL checks for the whole chain (`X509_V_FLAG_CRL_CHECK_ALL`): OpenSSL
//! then requires a valid CRL from every CA in the chain, the root too. A chain through a
//! CA without one is rejected with `$ssl_client_verify` =
//! `FAILED:unable to get certificate CRL`. Having only the intermediate's CRL is the most
//! common way to hit this.
//!
//! OpenSSL 3.6 and later no longer check a self-signed certificate against a CRL. The
//! root still needs its CRL there: the certificates it issued are checked against it
//! (measured with OpenSSL 4.0.3: a missing root CRL still gives error 3, at the
//! intermediate's depth). What changes is a self-signed client certificate pinned in
//! `ssl_client_certificate`: up to 3.5 it needs a CRL issued by its own key, from 3.6
//! it needs none.
//!
//! ## Example
//! ```nginx
//! ssl_client_certificate root-and-intermediate.pem;
//! ssl_crl                intermediate.crl;            # no CRL of the root
//! ```
//!
//! ## Use instead
//! ```nginx
//! # cat intermediate.crl root.crl > crls.pem
//! ssl_crl crls.pem;
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_crl>
//! - docs/nginx-behaviour.md (CRLs: a CRL for every CA, root included)

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use super::support::crl_for;

pub struct Rule109;

crate::rule_info!(
    "MTLS109",
    "crl-missing-for-ca",
    Error,
    "mtls109_crl_missing_for_ca.rs"
);

impl Rule for Rule109 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for s in &cx.model.servers {
            let (Some(setting), true) = (s.ssl.crl, s.mtls()) else {
                continue;
            };
            if cx.files.bundle(cx.model, Some(setting)).is_none() {
                continue;
            }
            let crls = cx.files.crls(cx.model, s);
            let openssl = cx.model.openssl;
            for ca in cx.files.trust_store(cx.model, s) {
                if crls.iter().any(|crl| crl_for(crl, ca)) {
                    continue;
                }
                let finding = if ca.info.is_ca() {
                    Finding::new(
                        &INFO,
                        Location::Span(setting.span()),
                        format!(
                            "no CRL for CA {} ({}): with ssl_crl set, client chains through it are rejected with FAILED:unable to get certificate CRL",
                            ca.info.subject, ca.location()
                        ),
                    )
                    .help(format!("add that CA's CRL to the ssl_crl file (cat intermediate.crl root.crl > crls.pem); OpenSSL {openssl} needs one from every CA in the chain, the root included{}", if openssl.skips_self_signed_crl() { " (the root itself is not checked, but what it issued is)" } else { "" }))
                } else if ca.info.openssl_self_signed && !openssl.skips_self_signed_crl() {
                    Finding::new(
                        &INFO,
                        Location::Span(setting.span()),
                        format!(
                            "no CRL for the self-signed certificate {} ({}): OpenSSL {openssl} checks it against a CRL issued by its own key, so a client sending it is rejected with FAILED:unable to get certificate CRL",
                            ca.info.subject, ca.location()
                        ),
                    )
                    .help("issue client certificates from a CA and trust the CA, or add a CRL signed by that certificate's key to the ssl_crl file; OpenSSL 3.6 and later need none for a self-signed certificate")
                } else {
                    continue;
                };
                out.push(finding.label("CRL file without that CA's CRL"));
            }
        }
    }
}
