//! # MTLS109 crl-missing-for-ca
//!
//! ## What it does
//! With `ssl_crl` set, reports each CA of the trust files (roots included up to
//! OpenSSL 3.5) that has no CRL in the `ssl_crl` file. From OpenSSL 3.6 a self-signed
//! root needs none (`--openssl-version`, `--nginx-binary`): it is not CRL-checked.
//!
//! ## Why is this bad?
//! nginx turns on CRL checks for the whole chain (`X509_V_FLAG_CRL_CHECK_ALL`): OpenSSL
//! then requires a valid CRL from every CA in the chain, the root too. A chain through a
//! CA without one is rejected with `$ssl_client_verify` =
//! `FAILED:unable to get certificate CRL`. Having only the intermediate's CRL is the most
//! common way to hit this. OpenSSL 3.6 and later skip self-signed certificates in this
//! check, so there only the intermediates need a CRL.
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
            for ca in cx.files.trust_store(cx.model, s) {
                if !ca.info.is_ca() || crls.iter().any(|crl| crl_for(crl, ca)) {
                    continue;
                }
                let openssl = cx.model.openssl;
                if openssl.skips_self_signed_crl() && ca.info.openssl_self_signed {
                    continue;
                }
                out.push(
                    Finding::new(
                        &INFO,
                        Location::Span(setting.span()),
                        format!(
                            "no CRL for CA {} ({}): with ssl_crl set, client chains through it are rejected with FAILED:unable to get certificate CRL",
                            ca.info.subject, ca.location()
                        ),
                    )
                    .label("CRL file without that CA's CRL")
                    .help(format!("add that CA's CRL to the ssl_crl file (cat intermediate.crl root.crl > crls.pem); OpenSSL {openssl} needs one for every CA in the chain{}", if openssl.skips_self_signed_crl() { " but the self-signed root" } else { ", the root included" })),
                );
            }
        }
    }
}
