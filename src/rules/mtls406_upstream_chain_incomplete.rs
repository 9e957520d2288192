//! # MTLS406 upstream-chain-incomplete
//!
//! ## What it does
//! Reports a `proxy_ssl_certificate` (and the other modules') file that holds nginx's
//! client certificate without the intermediate CA that issued it, when that CA's file
//! is found beside it and is not a root.
//!
//! ## Why is this bad?
//! nginx sends the backend what the file holds. A backend that trusts only the root
//! cannot build the chain: it logs `client SSL certificate verify error: (20:unable to
//! get local issuer certificate)` and answers `400 The SSL certificate error`.
//!
//! ## Example
//! ```nginx
//! proxy_ssl_certificate client/nginx.crt;          # leaf only
//! ```
//!
//! ## Use instead
//! ```nginx
//! # cat nginx.crt intermediate.crt > nginx-chain.crt
//! proxy_ssl_certificate client/nginx-chain.crt;
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_ssl_certificate>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use super::support::{issued_by, pass_related, presented_certificates};
use crate::certs::discover::{dir_of, find_issuer, unique_dirs};

pub struct Rule406;

crate::rule_info!(
    "MTLS406",
    "upstream-chain-incomplete",
    Warning,
    "mtls406_upstream_chain_incomplete.rs"
);

impl Rule for Rule406 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (u, cert, bundle) in presented_certificates(cx.model, cx.files) {
            // The last certificate of the chain the file holds, in order.
            let mut last = match bundle.certificates.first() {
                Some(c) => c,
                None => continue,
            };
            for c in &bundle.certificates[1..] {
                if issued_by(last, c) {
                    last = c;
                } else {
                    break;
                }
            }
            if last.info.openssl_self_signed {
                continue;
            }
            let dirs = unique_dirs([dir_of(&bundle.path)]);
            let Some(found) = find_issuer(&dirs, last) else {
                continue;
            };
            if found.is_root() {
                continue;
            }
            let (at, rel) = pass_related(u);
            out.push(
                Finding::new(
                    &INFO,
                    Location::Span(cert.span()),
                    format!(
                        "{} ends at {}, issued by the intermediate CA {} ({}), which nginx does not send: a backend that trusts only the root rejects nginx with (20:unable to get local issuer certificate)",
                        bundle.path.display(),
                        last.info.subject,
                        found.certificate.info.subject,
                        found.path.display()
                    ),
                )
                .label("client certificate without its intermediate")
                .related(at, rel)
                .help(format!(
                    "append the intermediate: `cat {} {} > {}` and point {} at it",
                    bundle.path.display(),
                    found.path.display(),
                    bundle.path.with_extension("chain.pem").display(),
                    cert.directive.name.as_str()
                )),
            );
        }
    }
}
