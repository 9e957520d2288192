//! # MTLS106 verify-depth-too-small
//!
//! ## What it does
//! Computes the chains the trust files form (intermediate CAs up to their roots) and
//! reports an `ssl_verify_depth` smaller than the number of intermediates a client
//! certificate needs.
//!
//! ## Why is this bad?
//! `ssl_verify_depth N` (default 1) allows at most N intermediate CAs between the client
//! certificate and the root; neither the client certificate nor the root counts. With more,
//! nginx reports `FAILED:unable to get issuer certificate` (intermediates from the server's
//! files) or `FAILED:unable to get local issuer certificate` (sent by the client), never
//! "certificate chain too long", so the cause is hard to see.
//!
//! ## Example
//! ```nginx
//! # root -> intermediate-1 -> intermediate-2 -> client certificates
//! ssl_client_certificate chain.pem;
//! ssl_verify_depth 1;
//! ```
//!
//! ## Use instead
//! ```nginx
//! ssl_client_certificate chain.pem;
//! ssl_verify_depth 2;
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_verify_depth>
//! - docs/nginx-behaviour.md, fact 3 (how depth is counted, measured)

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use super::support::deepest_ca;

pub struct Rule106;

crate::rule_info!(
    "MTLS106",
    "verify-depth-too-small",
    Error,
    "mtls106_verify_depth_too_small.rs"
);

impl Rule for Rule106 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for s in &cx.model.servers {
            // A snippet read alone: what it lacks may be in the server that includes it.
            if s.snippet {
                continue;
            }
            if !s.mtls() {
                continue;
            }
            let store = cx.files.trust_store(cx.model, s);
            let depth = s.verify_depth();
            let worst = deepest_ca(&store);
            let Some((needed, ca)) = worst else { continue };
            if needed as u32 <= depth {
                continue;
            }
            let location = match s.ssl.verify_depth {
                Some(d) => Location::Span(d.span()),
                None => match s.ssl.verify_client {
                    Some(v) => Location::Span(v.span()),
                    None => continue,
                },
            };
            out.push(
                Finding::new(
                    &INFO,
                    location,
                    format!(
                        "ssl_verify_depth is {depth}{} but client certificates issued by {} need {needed} intermediate CA{}: nginx rejects them with FAILED:unable to get issuer certificate",
                        if s.ssl.verify_depth.is_none() { " (the default)" } else { "" },
                        ca.info.subject,
                        if needed == 1 { "" } else { "s" }
                    ),
                )
                .label("depth too small")
                .help(format!(
                    "set `ssl_verify_depth {needed};` (it counts intermediate CAs only, not the client certificate or the root)"
                )),
            );
        }
    }
}
