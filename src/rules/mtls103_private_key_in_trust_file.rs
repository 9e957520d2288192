//! # MTLS103 private-key-in-trust-file
//!
//! ## What it does
//! Reports a private key inside a file named by `ssl_client_certificate`,
//! `ssl_trusted_certificate` or `ssl_crl`. The key itself is never printed.
//!
//! ## Why is this bad?
//! Trust files are public material, copied around and often world-readable. A CA key in
//! one lets anyone who can read it issue client certificates that this server accepts.
//! OpenSSL skips the key, so nothing fails: the leak stays invisible.
//!
//! ## Example
//! ```nginx
//! ssl_client_certificate /etc/nginx/tls/ca-with-key.pem;   # CERTIFICATE + PRIVATE KEY
//! ```
//!
//! ## Use instead
//! ```nginx
//! ssl_client_certificate /etc/nginx/tls/ca.pem;   # certificates only; keep the CA key offline
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_client_certificate>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};

pub struct Rule103;

crate::rule_info!(
    "MTLS103",
    "private-key-in-trust-file",
    Error,
    "mtls103_private_key_in_trust_file.rs"
);

impl Rule for Rule103 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for s in &cx.model.servers {
            for setting in [
                s.ssl.client_certificate,
                s.ssl.trusted_certificate,
                s.ssl.crl,
            ]
            .into_iter()
            .flatten()
            {
                let path = cx.model.path(&setting);
                let keys = match cx.files.get(&path) {
                    Some(Ok(b)) => b.private_keys.clone(),
                    Some(Err(crate::certs::load::LoadError::NoCertificate {
                        private_keys,
                        ..
                    })) => private_keys.clone(),
                    _ => continue,
                };
                for k in keys {
                    out.push(
                        Finding::new(
                            &INFO,
                            Location::Span(setting.span()),
                            format!(
                                "{} holds a private key ({}, line {}): whoever can read this trust file has the key",
                                path.display(),
                                k.label,
                                k.line
                            ),
                        )
                        .label("trust file with a private key")
                        .help("remove the key block from the file, keep CA keys offline, and re-issue the CA if the file was ever shared"),
                    );
                }
            }
        }
    }
}
