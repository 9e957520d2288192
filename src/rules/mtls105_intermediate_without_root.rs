//! # MTLS105 intermediate-without-root
//!
//! ## What it does
//! Reports an intermediate CA in `ssl_client_certificate` / `ssl_trusted_certificate`
//! whose chain does not reach a self-signed root inside the server's trust files.
//!
//! ## Why is this bad?
//! nginx never sets OpenSSL's `X509_V_FLAG_PARTIAL_CHAIN`, so a trusted intermediate is
//! not a trust anchor. Every client certificate issued under it fails with
//! `$ssl_client_verify` = `FAILED:unable to get issuer certificate`, also under
//! `optional_no_ca`.
//!
//! ## Example
//! ```nginx
//! ssl_client_certificate /etc/nginx/tls/intermediate.pem;   # no root
//! ```
//!
//! ## Use instead
//! ```nginx
//! # cat intermediate.pem root.pem > client-ca-bundle.pem
//! ssl_client_certificate /etc/nginx/tls/client-ca-bundle.pem;
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_client_certificate>
//! - docs/nginx-behaviour.md, fact 5 (partial chains)

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use super::support::chain_to_root;

pub struct Rule105;

crate::rule_info!(
    "MTLS105",
    "intermediate-without-root",
    Error,
    "mtls105_intermediate_without_root.rs"
);

impl Rule for Rule105 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for s in &cx.model.servers {
            if !s.mtls() {
                continue;
            }
            let store = cx.files.trust_store(cx.model, s);
            for (setting, bundle) in cx.files.ca_bundles(cx.model, s) {
                for c in &bundle.certificates {
                    if !c.info.is_ca() || c.info.openssl_self_signed {
                        continue;
                    }
                    let (chain, rooted) = chain_to_root(c, &store);
                    if rooted {
                        continue;
                    }
                    let top = chain.last().map_or(c, |t| *t);
                    out.push(
                        Finding::new(
                            &INFO,
                            Location::Span(setting.span()),
                            format!(
                                "intermediate CA {} (#{} in {}) has no root in the trust files: clients it issued get $ssl_client_verify = FAILED:unable to get issuer certificate",
                                c.info.subject,
                                c.origin.index,
                                bundle.path.display()
                            ),
                        )
                        .label("partial chain")
                        .help(format!(
                            "add the root CA \"{}\" to this file (cat intermediate.pem root.pem > bundle.pem); nginx does not accept partial chains",
                            top.info.issuer
                        )),
                    );
                }
            }
        }
    }
}
