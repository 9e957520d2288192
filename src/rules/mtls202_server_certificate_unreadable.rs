//! # MTLS202 server-certificate-unreadable
//!
//! ## What it does
//! Reports a TLS server whose `ssl_certificate` is missing, unreadable or holds no
//! certificate, whose `ssl_certificate_key` file is missing or holds no private key,
//! and `listen ... ssl` without any `ssl_certificate` (unless an `include` of the
//! server, or of the level above it, could not be read: it may hold the certificate,
//! and MTLS002 reports it).
//!
//! ## Why is this bad?
//! nginx refuses to start: `cannot load certificate "..."`, `cannot load certificate key
//! "..."`, or `no "ssl_certificate" is defined for the "listen ... ssl" directive`.
//!
//! ## Example
//! ```nginx
//! server {
//!     listen 443 ssl;
//!     ssl_verify_client on;
//!     ssl_client_certificate client-ca.pem;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! server {
//!     listen 443 ssl;
//!     ssl_certificate     server.crt;
//!     ssl_certificate_key server.key;
//!     ssl_verify_client on;
//!     ssl_client_certificate client-ca.pem;
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_certificate>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::config::LoadErrorKind;

pub struct Rule202;

crate::rule_info!(
    "MTLS202",
    "server-certificate-unreadable",
    Error,
    "mtls202_server_certificate_unreadable.rs"
);

impl Rule for Rule202 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let mut key_problems: std::collections::HashMap<std::path::PathBuf, Option<String>> =
            std::collections::HashMap::new();
        for s in &cx.model.servers {
            if !s.tls_listener() {
                continue;
            }
            if s.ssl.certificates.is_empty() && !s.snippet {
                // An include that could not be read may hold the certificate: MTLS002
                // reports it (one finding for one cause).
                let inside = |sp: crate::config::Span, b: crate::config::Span| {
                    sp.file == b.file && sp.start >= b.start && sp.end <= b.end
                };
                let blind = cx.config.errors.iter().any(|e| {
                    e.kind == LoadErrorKind::Include
                        && e.span.is_some_and(|sp| {
                            inside(sp, s.block.span)
                                || !cx.model.servers.iter().any(|o| inside(sp, o.block.span))
                        })
                });
                if blind {
                    continue;
                }
                if let Some(l) = s.listens.iter().find(|l| l.ssl).and_then(|l| l.directive) {
                    // nginx names the line of the server block (the line it read
                    // when the block's configuration was created), not the listen.
                    out.push(
                        Finding::new(
                            &INFO,
                            Location::Span(s.block.name.span),
                            "no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive: nginx -t fails",
                        )
                        .refused("no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive")
                        .label("TLS server without a certificate")
                        .related(Location::Span(l.span), "listens with TLS")
                        .help("add ssl_certificate and ssl_certificate_key to this server (or at http level)"),
                    );
                }
                continue;
            }
            for setting in &s.ssl.certificates {
                let value = setting.value();
                if !super::support::readable_value(&value) {
                    continue;
                }
                if let Some(Err(e)) = cx.files.get(&cx.model.path(setting)) {
                    out.push(
                        Finding::new(
                            &INFO,
                            Location::Span(setting.span()),
                            format!(
                                "cannot load certificate \"{}\": {}",
                                cx.model.path(setting).display(),
                                e.reason()
                            ),
                        )
                        .refused(format!(
                            "cannot load certificate \"{}\": {}",
                            cx.model.path(setting).display(),
                            e.reason()
                        ))
                        .label("server certificate")
                        .help("point ssl_certificate at the PEM file with the server certificate first, then its intermediates"),
                    );
                }
            }
            if s.ssl.certificate_keys.len() < s.ssl.certificates.len() {
                let c = s.ssl.certificates[s.ssl.certificate_keys.len()];
                out.push(
                    Finding::new(
                        &INFO,
                        Location::Span(c.span()),
                        format!("no \"ssl_certificate_key\" is defined for certificate \"{}\": nginx -t fails", c.value()),
                    )
                    .refused(format!(
                        "no \"ssl_certificate_key\" is defined for certificate \"{}\"",
                        c.value()
                    ))
                    .label("certificate without a key")
                    .help("add an ssl_certificate_key for each ssl_certificate, in the same order"),
                );
            }
            for key in &s.ssl.certificate_keys {
                let value = key.value();
                if value.is_empty()
                    || value.contains('$')
                    || value.starts_with("data:")
                    || value.starts_with("engine:")
                    || value.starts_with("store:")
                {
                    continue;
                }
                let path = cx.model.path(key);
                // Servers share keys: each file is read once.
                let problem = key_problems
                    .entry(path.clone())
                    .or_insert_with(|| crate::certs::keys::key_file_problem(&path));
                if let Some(p) = problem {
                    out.push(
                        Finding::new(
                            &INFO,
                            Location::Span(key.span()),
                            format!("cannot load certificate key \"{}\": {p}", path.display()),
                        )
                        .refused(format!(
                            "cannot load certificate key \"{}\": {p}",
                            path.display()
                        ))
                        .label("server key")
                        .help("point ssl_certificate_key at the PEM private key of the server certificate"),
                    );
                }
            }
        }
    }
}
