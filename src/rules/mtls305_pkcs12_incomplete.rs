//! # MTLS305 pkcs12-incomplete
//!
//! ## What it does
//! Reports a PKCS#12 (`.p12`/`.pfx`) `--client-cert` without a private key, or without
//! the intermediate certificates between the client certificate and its root.
//!
//! ## Why is this bad?
//! Without the key the archive cannot authenticate anyone. Without the chain, the client
//! sends its certificate alone, and nginx rejects it with
//! `FAILED:unable to verify the first certificate` unless the server's CA files hold
//! the intermediate.
//!
//! ## Example
//! ```nginx
//! # openssl pkcs12 -export -out client.p12 -inkey client.key -in client.crt
//! ssl_client_certificate root.crt;
//! ```
//!
//! ## Use instead
//! ```nginx
//! # openssl pkcs12 -export -out client.p12 -inkey client.key -in client.crt -certfile intermediate.crt
//! ssl_client_certificate root.crt;
//! ```
//!
//! ## References
//! - <https://docs.openssl.org/3.0/man1/openssl-pkcs12/>
//! - docs/nginx-behaviour.md, fact 6 (where intermediates may come from)

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::verify::client::CertFormat;

pub struct Rule305;

crate::rule_info!(
    "MTLS305",
    "pkcs12-incomplete",
    Warning,
    "mtls305_pkcs12_incomplete.rs"
);

impl Rule for Rule305 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for client in cx.client_certs {
            if client.format != CertFormat::Pkcs12 {
                continue;
            }
            let path = client.path.display();
            if client.key.is_none() {
                out.push(
                    Finding::new(
                        &INFO,
                        Location::File(client.path.clone()),
                        format!("the PKCS#12 file {path} holds no private key"),
                    )
                    .help(format!(
                        "export it with its key: openssl pkcs12 -export -out {path} -inkey client.key -in client.crt -certfile ca.crt"
                    )),
                );
            }
            let leaf = &client.chain.leaf.info;
            if client.chain.intermediates.is_empty() && !leaf.openssl_self_signed {
                out.push(
                    Finding::new(
                        &INFO,
                        Location::File(client.path.clone()),
                        format!(
                            "the PKCS#12 file {path} holds {} but not its issuer {}: the client sends no intermediate",
                            leaf.subject, leaf.issuer
                        ),
                    )
                    .help(format!(
                        "add the chain: openssl pkcs12 -export -out {path} -inkey client.key -in client.crt -certfile ca.crt (ca.crt = the intermediates, then the root)"
                    )),
                );
            }
        }
    }
}
