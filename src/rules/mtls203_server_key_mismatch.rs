//! # MTLS203 server-key-mismatch
//!
//! ## What it does
//! Compares the public key of each `ssl_certificate` (its first certificate) with the
//! private key in the `ssl_certificate_key` at the same position. The key is read only to
//! derive its public part; nothing of it is printed.
//!
//! ## Why is this bad?
//! nginx refuses to start: `SSL_CTX_use_PrivateKey("...") failed (SSL: error:05800074:x509
//! certificate routines::key values mismatch)`. It happens after a renewal that replaced
//! the certificate but not the key, or with the two `ssl_certificate` lines of an RSA and
//! an ECDSA pair in a different order than their keys.
//!
//! ## Example
//! ```nginx
//! ssl_certificate     /etc/nginx/tls/api-2027.crt;
//! ssl_certificate_key /etc/nginx/tls/api-2026.key;
//! ```
//!
//! ## Use instead
//! ```nginx
//! ssl_certificate     /etc/nginx/tls/api-2027.crt;
//! ssl_certificate_key /etc/nginx/tls/api-2027.key;
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_certificate_key>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::certs::discover::{dir_of, find_key, unique_dirs};
use crate::certs::keys::{KeyMatch, key_matches, load_private_key};

pub struct Rule203;

crate::rule_info!(
    "MTLS203",
    "server-key-mismatch",
    Error,
    "mtls203_server_key_mismatch.rs"
);

impl Rule for Rule203 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let mut matched: std::collections::HashMap<(std::path::PathBuf, std::path::PathBuf), bool> =
            std::collections::HashMap::new();
        for s in &cx.model.servers {
            if !s.tls_listener() {
                continue;
            }
            for (cert, key) in s.ssl.certificates.iter().zip(&s.ssl.certificate_keys) {
                let value = key.value();
                if value.contains('$') || value.contains(':') && !value.starts_with('/') {
                    continue;
                }
                let Some(bundle) = cx.files.bundle(cx.model, Some(*cert)) else {
                    continue;
                };
                let Some(leaf) = bundle.certificates.first() else {
                    continue;
                };
                let key_path = cx.model.path(key);
                // Servers share certificates and keys: each pair is compared once.
                let mismatch = *matched
                    .entry((bundle.path.clone(), key_path.clone()))
                    .or_insert_with(|| {
                        // Unreadable keys are MTLS202's.
                        load_private_key(&key_path)
                            .is_ok_and(|private| key_matches(&private, leaf) == KeyMatch::Mismatch)
                    });
                if !mismatch {
                    continue;
                }
                let dirs = unique_dirs([dir_of(&bundle.path), dir_of(&key_path)]);
                let help = match find_key(&dirs, leaf) {
                    Some(k) => format!(
                        "the key of this certificate is {} (found beside it): `ssl_certificate_key {};`",
                        k.display(),
                        k.display()
                    ),
                    None => "use the key the certificate was issued for (compare `openssl x509 -noout -pubkey -in CERT` with `openssl pkey -pubout -in KEY`)".to_string(),
                };
                out.push(
                    Finding::new(
                        &INFO,
                        Location::Span(key.span()),
                        format!(
                            "the key in {} does not belong to the certificate {} ({}): nginx -t fails with \"key values mismatch\"",
                            cx.model.path(key).display(),
                            leaf.info.subject,
                            bundle.path.display()
                        ),
                    )
                    .refused(format!(
                        "SSL_CTX_use_PrivateKey(\"{}\") failed (SSL: error:05800074:x509 certificate routines::key values mismatch)",
                        cx.model.path(key).display()
                    ))
                    .label("key of another certificate")
                    .related(Location::Span(cert.span()), "this certificate")
                    .help(help),
                );
            }
        }
    }
}
