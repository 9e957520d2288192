//! # MTLS408 upstream-verify-depth-too-small
//!
//! ## What it does
//! With `proxy_ssl_verify on` (and the other modules'), reports a
//! `proxy_ssl_verify_depth` (default 1) smaller than the number of intermediate CAs
//! between a CA of the trusted file and its root.
//!
//! ## Why is this bad?
//! A backend certificate issued by the deepest CA needs that many intermediates; nginx
//! refuses it: `upstream SSL certificate verify error: (20:unable to get local issuer
//! certificate) while SSL handshaking to upstream` (or 22, certificate chain too long),
//! and the client gets 502 Bad Gateway.
//!
//! ## Example
//! ```nginx
//! proxy_ssl_verify on;
//! proxy_ssl_trusted_certificate root-int-issuing.pem;   # root, 2 intermediates
//! ```
//!
//! ## Use instead
//! ```nginx
//! proxy_ssl_verify on;
//! proxy_ssl_trusted_certificate root-int-issuing.pem;
//! proxy_ssl_verify_depth 2;
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_ssl_verify_depth>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use super::support::{deepest_ca, pass_related, tls_upstreams};

pub struct Rule408;

crate::rule_info!(
    "MTLS408",
    "upstream-verify-depth-too-small",
    Warning,
    "mtls408_upstream_verify_depth_too_small.rs"
);

impl Rule for Rule408 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let mut seen = std::collections::HashSet::new();
        for u in tls_upstreams(cx.model) {
            if !u.verifies() {
                continue;
            }
            let Some(trusted) = u.ssl.trusted_certificate else {
                continue;
            };
            let key = (trusted.span(), u.ssl.verify_depth.map(|d| d.span()));
            if seen.contains(&key) {
                continue;
            }
            seen.insert(key);
            let store = cx.files.upstream_store(cx.model, u);
            let depth = u.verify_depth();
            let worst = deepest_ca(&store);
            let Some((needed, ca)) = worst else { continue };
            if needed as u32 <= depth {
                continue;
            }
            let at = u.ssl.verify_depth.unwrap_or(trusted);
            let (p, rel) = pass_related(u);
            out.push(
                Finding::new(
                    &INFO,
                    Location::Span(at.span()),
                    format!(
                        "{} is {depth}{} but backend certificates issued by {} need {needed} intermediate CA{}: nginx refuses them (upstream SSL certificate verify error) and the client gets 502",
                        u.module.directive("verify_depth"),
                        if u.ssl.verify_depth.is_none() { " (the default)" } else { "" },
                        ca.info.subject,
                        if needed == 1 { "" } else { "s" }
                    ),
                )
                .label("depth too small")
                .related(p, rel)
                .help(format!(
                    "set `{} {needed};` (it counts intermediate CAs only)",
                    u.module.directive("verify_depth")
                )),
            );
        }
    }
}
