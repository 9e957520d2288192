//! # MTLS205 server-certificate-expiring
//!
//! ## What it does
//! Reports a server certificate (`ssl_certificate`, first certificate of the file) or an
//! intermediate in its chain that has expired, is not yet valid, or expires within the
//! warning windows (`--warn-days`, default 30, 15 and 7 days).
//!
//! ## Why is this bad?
//! The server certificate is half of the same handshake: clients (curl, browsers, service
//! meshes) refuse an expired server certificate before any client certificate is sent.
//!
//! ## Example
//! ```nginx
//! ssl_certificate /etc/nginx/tls/server.crt;   # notAfter in 5 days
//! ```
//!
//! ## Use instead
//! ```nginx
//! ssl_certificate /etc/nginx/tls/server-renewed.crt;
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_certificate>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};

pub struct Rule205;

crate::rule_info!(
    "MTLS205",
    "server-certificate-expiring",
    Error,
    "mtls205_server_certificate_expiring.rs"
);

impl Rule for Rule205 {
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
                for (i, c) in bundle.certificates.iter().enumerate() {
                    let Some((severity, when)) = cx.options.validity_of(&c.info) else {
                        continue;
                    };
                    let what = if i == 0 {
                        "server certificate"
                    } else {
                        "intermediate"
                    };
                    let mut f = Finding::new(
                        &INFO,
                        Location::Span(setting.span()),
                        format!("{what} {} ({}) {when}", c.info.subject, c.location()),
                    )
                    .label("certificate file")
                    .help("renew the certificate and reload nginx (nginx -s reload)");
                    f.severity = severity;
                    out.push(f);
                }
            }
        }
    }
}
