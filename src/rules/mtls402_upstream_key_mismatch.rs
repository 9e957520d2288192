//! # MTLS402 upstream-key-mismatch
//!
//! ## What it does
//! Reports a `proxy_ssl_certificate_key` (`grpc_ssl_*`, `uwsgi_ssl_*`, stream) that is
//! not the private key of the `proxy_ssl_certificate` beside it, where nginx connects
//! to the backend with TLS.
//!
//! ## Why is this bad?
//! nginx refuses to start: `SSL_CTX_use_PrivateKey("...") failed (SSL: error:05800074:x509
//! certificate routines::key values mismatch)`.
//!
//! ## Example
//! ```nginx
//! proxy_ssl_certificate     client/nginx.crt;
//! proxy_ssl_certificate_key client/old-nginx.key;
//! ```
//!
//! ## Use instead
//! ```nginx
//! proxy_ssl_certificate     client/nginx.crt;
//! proxy_ssl_certificate_key client/nginx.key;
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_ssl_certificate_key>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use super::support::{pass_related, readable_value, tls_upstreams};
use crate::certs::discover::{dir_of, find_key, unique_dirs};
use crate::certs::keys::{KeyMatch, key_matches, load_private_key};

pub struct Rule402;

crate::rule_info!(
    "MTLS402",
    "upstream-key-mismatch",
    Error,
    "mtls402_upstream_key_mismatch.rs"
);

impl Rule for Rule402 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let mut seen = std::collections::HashSet::new();
        for u in tls_upstreams(cx.model) {
            let (Some(cert), Some(key)) = (u.ssl.certificate, u.ssl.certificate_key) else {
                continue;
            };
            if !readable_value(&key.value())
                || key.value().contains(':') && !key.value().starts_with('/')
            {
                continue;
            }
            // Many locations name one certificate and key: check each pair once.
            let pair = (cx.model.path(&cert), cx.model.path(&key));
            if !seen.insert(pair) {
                continue;
            }
            let Some(bundle) = cx.files.bundle(cx.model, Some(cert)) else {
                continue;
            };
            let Some(leaf) = bundle.certificates.first() else {
                continue;
            };
            let key_path = cx.model.path(&key);
            let Ok(private) = load_private_key(&key_path) else {
                continue;
            };
            if key_matches(&private, leaf) != KeyMatch::Mismatch {
                continue;
            }
            let dirs = unique_dirs([dir_of(&bundle.path), dir_of(&key_path)]);
            let help = match find_key(&dirs, leaf) {
                Some(k) => format!(
                    "the key of this certificate is {} (found beside it): `{} {};`",
                    k.display(),
                    key.directive.name.as_str(),
                    k.display()
                ),
                None => "use the key the certificate was issued for (compare `openssl x509 -noout -pubkey -in CERT` with `openssl pkey -pubout -in KEY`)".to_string(),
            };
            let (at, what) = pass_related(u);
            out.push(
                Finding::new(
                    &INFO,
                    Location::Span(key.span()),
                    format!(
                        "the key in {} does not belong to the certificate nginx presents to the backend, {} ({}): nginx -t fails with \"key values mismatch\"",
                        key_path.display(),
                        leaf.info.subject,
                        bundle.path.display()
                    ),
                )
                .refused(format!(
                    "SSL_CTX_use_PrivateKey(\"{}\") failed (SSL: error:05800074:x509 certificate routines::key values mismatch)",
                    key_path.display()
                ))
                .label("key of another certificate")
                .related(Location::Span(cert.span()), "this certificate")
                .related(at, what)
                .help(help),
            );
        }
    }
}
