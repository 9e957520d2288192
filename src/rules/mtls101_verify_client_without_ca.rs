//! # MTLS101 verify-client-without-ca
//!
//! ## What it does
//! Reports `ssl_verify_client on` or `optional` in a TLS server that has no
//! `ssl_client_certificate` in effect.
//!
//! ## Why is this bad?
//! nginx refuses to start: `nginx -t` fails with `no ssl_client_certificate for
//! ssl_verify_client` (and names no file or line, which is why this rule does).
//! Before nginx 1.27.2, `ssl_trusted_certificate` alone does not satisfy the check; from
//! 1.27.2 it does (set the version with `--nginx-version`), but then the
//! CertificateRequest names no CA (see MTLS116).
//!
//! ## Example
//! ```nginx
//! server {
//!     listen 443 ssl;
//!     ssl_certificate     server.crt;
//!     ssl_certificate_key server.key;
//!     ssl_verify_client on;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! server {
//!     listen 443 ssl;
//!     ssl_certificate        server.crt;
//!     ssl_certificate_key    server.key;
//!     ssl_client_certificate client-ca.pem;
//!     ssl_verify_client      on;
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_verify_client>
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_client_certificate>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::model::VerifyMode;

pub struct Rule101;

crate::rule_info!(
    "MTLS101",
    "verify-client-without-ca",
    Error,
    "mtls101_verify_client_without_ca.rs"
);

impl Rule for Rule101 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for s in &cx.model.servers {
            // A snippet read alone: what it lacks may be in the server that includes it.
            if s.snippet {
                continue;
            }
            let mode = s.verify_mode();
            if !matches!(mode, VerifyMode::On | VerifyMode::Optional)
                || !s.ssl_configured()
                || s.ssl.client_certificate.is_some()
            {
                continue;
            }
            let trusted_ok = cx.options.nginx_version >= (1, 27, 2);
            if trusted_ok && s.ssl.trusted_certificate.is_some() {
                continue;
            }
            let Some(verify) = s.ssl.verify_client else {
                continue;
            };
            // nginx's words changed in 1.27.2, when ssl_trusted_certificate began to count.
            let nginx = if trusted_ok {
                "no ssl_client_certificate or ssl_trusted_certificate for ssl_verify_client"
            } else {
                "no ssl_client_certificate for ssl_verify_client"
            };
            let mut f = Finding::new(
                &INFO,
                Location::Span(verify.span()),
                format!(
                    "ssl_verify_client {} without ssl_client_certificate: nginx -t fails with \"{nginx}\"",
                    mode.as_str()
                ),
            )
            .refused(nginx)
            .label("needs a CA file")
            .help("add `ssl_client_certificate /path/to/client-ca.pem;` (the CA that issued your client certificates) next to ssl_verify_client");
            if let Some(t) = s.ssl.trusted_certificate {
                f = f.related(
                    Location::Span(t.span()),
                    "ssl_trusted_certificate does not count before nginx 1.27.2",
                );
            }
            if verify.inherited {
                f = f.related(
                    Location::Span(s.block.name.span),
                    "inherited by this server",
                );
            }
            out.push(f);
        }
    }
}
