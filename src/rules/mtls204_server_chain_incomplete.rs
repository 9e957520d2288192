//! # MTLS204 server-chain-incomplete
//!
//! ## What it does
//! Checks the order of the `ssl_certificate` file: the server certificate first, then
//! each intermediate followed by the one that issued it. Reports a CA certificate first,
//! certificates that do not chain, and a file with only a server certificate issued by
//! another CA (its intermediate is probably missing).
//!
//! ## Why is this bad?
//! nginx sends the file as it is. With the CA first, nginx uses the CA as the server
//! certificate and fails with `key values mismatch`; with an intermediate missing, clients
//! that do not fetch it themselves (curl, Java, Go, mobile apps) fail with
//! `unable to get local issuer certificate` before any client certificate is sent.
//!
//! ## Example
//! ```nginx
//! ssl_certificate server.crt;   # only the leaf, issued by an intermediate
//! ```
//!
//! ## Use instead
//! ```nginx
//! # cat server.crt intermediate.crt > server-chain.crt
//! ssl_certificate server-chain.crt;
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/configuring_https_servers.html#chains>

use super::rule::{Context, Finding, Location, Rule, RuleInfo, Severity};
use super::support::issued_by;

pub struct Rule204;

crate::rule_info!(
    "MTLS204",
    "server-chain-incomplete",
    Warning,
    "mtls204_server_chain_incomplete.rs"
);

impl Rule for Rule204 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for s in &cx.model.servers {
            if !s.tls_listener() {
                continue;
            }
            for setting in &s.ssl.certificates {
                let Some(bundle) = cx.files.bundle(cx.model, Some(*setting)) else {
                    continue;
                };
                let certs = &bundle.certificates;
                let Some(first) = certs.first() else { continue };
                let at = Location::Span(setting.span());
                if first.info.is_ca() && certs.len() > 1 {
                    let mut f = Finding::new(
                        &INFO,
                        at,
                        format!(
                            "the first certificate of {} is a CA ({}): nginx uses the first certificate as the server certificate",
                            bundle.path.display(),
                            first.info.subject
                        ),
                    )
                    .label("wrong order")
                    .help("put the server certificate first, then its intermediates: cat server.crt intermediate.crt > chain.crt");
                    f.severity = Severity::Error;
                    out.push(f);
                    continue;
                }
                if let Some(w) = certs.windows(2).position(|w| !issued_by(&w[0], &w[1])) {
                    out.push(
                        Finding::new(
                            &INFO,
                            at,
                            format!(
                                "certificate #{} ({}) did not issue #{} ({}): the chain is out of order or holds a stray certificate",
                                w + 2,
                                certs[w + 1].info.subject,
                                w + 1,
                                certs[w].info.issuer
                            ),
                        )
                        .label("chain out of order")
                        .help("order the file leaf first, then each issuer: cat server.crt intermediate.crt > chain.crt"),
                    );
                    continue;
                }
                let last = &certs[certs.len() - 1];
                // Issued by a root the server itself trusts (loads as a client CA):
                // there is no intermediate to send.
                let by_known_root = cx.files.ca_bundles(cx.model, s).iter().any(|(_, b)| {
                    b.certificates
                        .iter()
                        .any(|c| c.info.openssl_self_signed && issued_by(last, c))
                });
                if certs.len() == 1 && !last.info.self_issued && !by_known_root {
                    let mut f = Finding::new(
                        &INFO,
                        at,
                        format!(
                            "{} holds only the server certificate, issued by {}: if that is an intermediate CA, clients fail with \"unable to get local issuer certificate\"",
                            bundle.path.display(),
                            last.info.issuer
                        ),
                    )
                    .label("no intermediates")
                    .help("append the intermediate certificate(s): cat server.crt intermediate.crt > chain.crt");
                    f.severity = Severity::Info;
                    out.push(f);
                }
            }
        }
    }
}
