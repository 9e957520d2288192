//! # MTLS102 trust-file-unreadable
//!
//! ## What it does
//! Reads every file named by `ssl_client_certificate`, `ssl_trusted_certificate` and
//! `ssl_crl` and reports one that is missing, unreadable, a directory, empty, corrupt, or
//! holds no PEM certificate or CRL (nginx reads these files as PEM only: a DER file
//! fails too).
//!
//! ## Why is this bad?
//! nginx fails to start with `SSL_CTX_load_verify_locations("...") failed` or
//! `X509_LOOKUP_load_file("...") failed`. `ssl_trusted_certificate` and `ssl_crl` are read
//! whenever the server has TLS configured; `ssl_client_certificate` only when
//! `ssl_verify_client` is not `off` (see MTLS113 for the other case).
//!
//! ## Example
//! ```nginx
//! ssl_verify_client      on;
//! ssl_client_certificate /etc/nginx/client-ca.pem;   # the file is not there
//! ```
//!
//! ## Use instead
//! ```nginx
//! ssl_verify_client      on;
//! ssl_client_certificate /etc/nginx/tls/client-ca.pem;   # a PEM file with the CA certificates
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_client_certificate>
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_crl>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::certs::load::LoadError;
use crate::model::Setting;

pub struct Rule102;

crate::rule_info!(
    "MTLS102",
    "trust-file-unreadable",
    Error,
    "mtls102_trust_file_unreadable.rs"
);

/// What nginx fails with, in its words.
pub fn nginx_failure(directive: &str, e: &LoadError) -> String {
    let call = if directive == "ssl_crl" {
        "X509_LOOKUP_load_file"
    } else {
        "SSL_CTX_load_verify_locations"
    };
    let reason = match e {
        LoadError::NotFound { .. } => "No such file or directory",
        LoadError::PermissionDenied { .. } => "Permission denied",
        LoadError::CorruptBlock { .. } => "bad PEM block",
        _ => "no certificate or crl found",
    };
    format!("{call}(\"{}\") failed ({reason})", e.path().display())
}

/// What nginx prints after `[emerg]` (nginx 1.22.1 on OpenSSL 3.0, measured:
/// docs/nginx-behaviour.md §4); for the failures not measured, the short form of
/// [`nginx_failure`].
pub fn nginx_emerg(directive: &str, e: &LoadError) -> String {
    let call = if directive == "ssl_crl" {
        "X509_LOOKUP_load_file"
    } else {
        "SSL_CTX_load_verify_locations"
    };
    let p = e.path().display();
    match e {
        LoadError::NotFound { .. } => format!(
            "{call}(\"{p}\") failed (SSL: error:80000002:system library::No such file or directory:calling fopen({p}, r) error:10000080:BIO routines::no such file error:05880002:x509 certificate routines::system lib)"
        ),
        LoadError::Empty { .. }
        | LoadError::IsADirectory { .. }
        | LoadError::NoCertificate { .. }
        | LoadError::NotPem { .. } => format!(
            "{call}(\"{p}\") failed (SSL: error:05800088:x509 certificate routines::no certificate or crl found)"
        ),
        _ => nginx_failure(directive, e),
    }
}

impl Rule for Rule102 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for s in &cx.model.servers {
            if !s.ssl_configured() {
                continue;
            }
            let mut settings: Vec<Setting<'_>> = Vec::new();
            if s.mtls() {
                settings.extend(s.ssl.client_certificate);
            }
            settings.extend(s.ssl.trusted_certificate);
            settings.extend(s.ssl.crl);
            for setting in settings {
                let path = cx.model.path(&setting);
                let Some(Err(e)) = cx.files.get(&path) else {
                    continue;
                };
                let name = setting.directive.name.as_str().into_owned();
                // Past the tool's own size bound the file was not read: nginx may well
                // load it (it read a 68 MB CRL of 2.3M entries in 1.3 s).
                if let LoadError::TooLarge { limit, .. } = e {
                    out.push(
                        Finding::new(
                            &INFO,
                            Location::Span(setting.span()),
                            format!(
                                "{name} {}: larger than {limit} bytes, the most this tool reads: not checked (nginx may still load it; the tool does not say nginx -t fails)",
                                e.path().display()
                            ),
                        )
                        .label("not read")
                        .help("check it by hand (`openssl crl -in FILE -noout -nextupdate`); docs/limits.md lists the bounds"),
                    );
                    continue;
                }
                out.push(
                    Finding::new(
                        &INFO,
                        Location::Span(setting.span()),
                        format!(
                            "{name} {}: {}; nginx -t fails: {}",
                            e.path().display(),
                            e.reason(),
                            nginx_failure(&name, e)
                        ),
                    )
                    .refused(nginx_emerg(&name, e))
                    .label("this file")
                    .help(format!(
                        "point {name} at a readable PEM file with the CA certificates{}; relative paths are resolved against {}",
                        if name == "ssl_crl" { " and their CRLs" } else { "" },
                        cx.config.prefix.display()
                    )),
                );
            }
        }
    }
}
