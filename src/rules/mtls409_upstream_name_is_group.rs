//! # MTLS409 upstream-name-is-group
//!
//! ## What it does
//! With `proxy_ssl_verify on` (and the other modules'), reports a pass to an `upstream {}`
//! group without `proxy_ssl_name`.
//!
//! ## Why is this bad?
//! nginx checks the backend's certificate against the host part of the pass, which is
//! the group's name (`backend`), not a host name in the certificate: it logs `upstream
//! SSL certificate does not match "backend" while SSL handshaking to upstream`, and the
//! client gets 502 Bad Gateway. With `proxy_ssl_server_name on` the group name is also
//! sent as SNI.
//!
//! ## Example
//! ```nginx
//! upstream backend { server 10.0.0.5:443; }
//! location / {
//!     proxy_pass https://backend;
//!     proxy_ssl_verify on;
//!     proxy_ssl_trusted_certificate backend-ca.pem;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! location / {
//!     proxy_pass https://backend;
//!     proxy_ssl_verify on;
//!     proxy_ssl_trusted_certificate backend-ca.pem;
//!     proxy_ssl_name api.internal.example.com;     # a name in the backend's certificate
//!     proxy_ssl_server_name on;
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_ssl_name>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use super::support::tls_upstreams;

pub struct Rule409;

crate::rule_info!(
    "MTLS409",
    "upstream-name-is-group",
    Warning,
    "mtls409_upstream_name_is_group.rs"
);

impl Rule for Rule409 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for u in tls_upstreams(cx.model) {
            if !u.verifies() || u.ssl.name.is_some() {
                continue;
            }
            let Some(t) = u.target.as_ref().filter(|t| t.group) else {
                continue;
            };
            let name = u.module.directive("name");
            let mut f = Finding::new(
                &INFO,
                Location::Span(u.pass.span),
                format!(
                    "nginx verifies the backend's certificate against the upstream group's name \"{}\": unless the certificate names \"{}\", nginx logs `upstream SSL certificate does not match \"{}\"` and the client gets 502",
                    t.host, t.host, t.host
                ),
            )
            .label("the group name is the name checked")
            .help(format!("add `{name} <a DNS name of the backend's certificate>;` (and `{} on;` to send it as SNI)", u.module.directive("server_name")));
            if let Some(g) = cx.model.upstream_groups.get(&(
                if u.module == crate::model::upstream::Module::Stream {
                    crate::model::Protocol::Stream
                } else {
                    crate::model::Protocol::Http
                },
                t.host.clone(),
            )) {
                f = f.related(Location::Span(g.span), "the upstream group");
            }
            out.push(f);
        }
    }
}
