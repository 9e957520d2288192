//! # MTLS303 client-key-mismatch
//!
//! ## What it does
//! Compares each `--client-cert` with its private key (`--client-key` at the same
//! position, a key in the same PEM file, or the key inside the PKCS#12) and reports a
//! key that does not belong to the certificate.
//!
//! ## Why is this bad?
//! The client cannot prove it owns the certificate: curl stops before connecting
//! (`curl: (58) unable to set private key file`), other clients fail the handshake.
//! nginx never sees the certificate, so its logs do not explain the failure.
//!
//! ## Example
//! ```nginx
//! # nginx-mtls-lint nginx.conf --client-cert client.crt --client-key old-client.key
//! ssl_verify_client on;
//! ```
//!
//! ## Use instead
//! ```nginx
//! # nginx-mtls-lint nginx.conf --client-cert client.crt --client-key client.key
//! ssl_verify_client on;
//! ```
//!
//! ## References
//! - <https://curl.se/docs/manpage.html#--key>
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_verify_client>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::certs::keys::KeyMatch;

pub struct Rule303;

crate::rule_info!(
    "MTLS303",
    "client-key-mismatch",
    Error,
    "mtls303_client_key_mismatch.rs"
);

impl Rule for Rule303 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for client in cx.client_certs {
            if client.key_match() != Some(KeyMatch::Mismatch) {
                continue;
            }
            let key = client
                .key_path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            out.push(
                Finding::new(
                    &INFO,
                    Location::File(client.path.clone()),
                    format!(
                        "the private key {key} does not belong to the client certificate {} ({}): curl fails with `unable to set private key file` before it connects",
                        client.path.display(),
                        client.chain.leaf.info.subject
                    ),
                )
                .help("use the key the certificate was issued for: `openssl x509 -in client.crt -noout -pubkey` and `openssl pkey -in client.key -pubout` must print the same key"),
            );
        }
    }
}
