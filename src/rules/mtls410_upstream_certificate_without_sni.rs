//! # MTLS410 upstream-certificate-without-sni
//!
//! ## What it does
//! Reports a pass where nginx presents a client certificate to the backend but sends no
//! SNI: `proxy_ssl_server_name` is off (the default) or the name is an IP address.
//!
//! ## Why is this bad?
//! A backend that serves several names picks its server by SNI. Without it the
//! connection lands on the backend's default server; if the server that requires
//! client certificates is not the default one, the backend never asks for nginx's
//! certificate (or asks with another CA list), and answers `400 No required SSL
//! certificate was sent` or serves the wrong site.
//!
//! ## Example
//! ```nginx
//! proxy_pass https://api.internal.example.com;
//! proxy_ssl_certificate     client/nginx.crt;
//! proxy_ssl_certificate_key client/nginx.key;
//! ```
//!
//! ## Use instead
//! ```nginx
//! proxy_pass https://api.internal.example.com;
//! proxy_ssl_certificate     client/nginx.crt;
//! proxy_ssl_certificate_key client/nginx.key;
//! proxy_ssl_server_name on;
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_ssl_server_name>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use super::support::tls_upstreams;

pub struct Rule410;

crate::rule_info!(
    "MTLS410",
    "upstream-certificate-without-sni",
    Warning,
    "mtls410_upstream_certificate_without_sni.rs"
);

impl Rule for Rule410 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for u in tls_upstreams(cx.model) {
            if u.ssl.certificate.is_none() {
                continue;
            }
            let name = u.ssl_name();
            let ip = u.name_is_address();
            let server_name = u.module.directive("server_name");
            let message = if !u.sends_sni() {
                format!(
                    "nginx presents a client certificate to this backend but sends no SNI ({server_name} is {}): a backend that chooses its client-certificate server by name never asks for it",
                    if u.ssl.server_name.is_some() {
                        "off"
                    } else {
                        "off by default"
                    }
                )
            } else if ip {
                format!(
                    "nginx presents a client certificate to this backend but sends no SNI: the name \"{}\" is an address, and nginx sends no address as SNI",
                    name.clone().unwrap_or_default()
                )
            } else {
                continue;
            };
            let mut f = Finding::new(&INFO, Location::Span(u.pass.span), message)
                .label("no SNI to the backend")
                .help(if ip {
                    format!(
                        "set `{} <the backend's host name>;` and `{server_name} on;`",
                        u.module.directive("name")
                    )
                } else {
                    format!(
                        "add `{server_name} on;` (the name sent is {})",
                        name.map_or("the host of the pass".to_string(), |n| format!("\"{n}\""))
                    )
                });
            if let Some(c) = u.ssl.certificate {
                f = f.related(Location::Span(c.span()), "the certificate it presents");
            }
            out.push(f);
        }
    }
}
