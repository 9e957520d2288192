//! # MTLS413 upstream-session-shared
//!
//! ## What it does
//! Reports passes that reach the same backend (the same `upstream` group, or the same
//! address and port) with different upstream-TLS settings (the certificate nginx
//! presents, its key, verification on or off, the trusted file, the CRL, the name)
//! while TLS sessions are reused (`proxy_ssl_session_reuse`, default on).
//!
//! An `upstream` group with `keepalive` is reported even with session reuse off: its
//! cached connections, handshake done, go to any location that uses the group.
//!
//! ## Why is this bad?
//! nginx keeps one TLS session per backend server and resumes it from any location
//! that connects there. A resumed session keeps what the first handshake settled: the
//! backend sees the client certificate of the location that made the session, and
//! nginx reads that handshake's verification result. Measured with nginx 1.22: a
//! location without `proxy_ssl_certificate` got `SUCCESS` from a backend that requires
//! client certificates, right after another location had sent its certificate; a
//! location with `proxy_ssl_verify on` accepted a backend whose session another
//! location had made, and refused a good one after a failed handshake elsewhere.
//!
//! ## Example
//! ```nginx
//! location /admin/ {
//!     proxy_pass https://10.0.0.5:8443;
//!     proxy_ssl_certificate     admin-client.crt;
//!     proxy_ssl_certificate_key admin-client.key;
//! }
//! location /public/ {
//!     proxy_pass https://10.0.0.5:8443;     # resumes the admin session
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! location /public/ {
//!     proxy_pass https://10.0.0.5:8443;
//!     proxy_ssl_session_reuse off;
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_ssl_session_reuse>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::model::upstream::Upstream;

pub struct Rule413;

crate::rule_info!(
    "MTLS413",
    "upstream-session-shared",
    Warning,
    "mtls413_upstream_session_shared.rs"
);

impl Rule for Rule413 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        // The passes of each backend, each with what its sessions carry (computed
        // once: a large configuration has thousands of passes).
        type Entry<'m, 'a> = (&'m Upstream<'a>, Vec<(&'static str, String)>);
        let mut by_backend: std::collections::HashMap<(bool, String), Vec<Entry<'_, '_>>> =
            Default::default();
        // An `upstream` group with `keepalive` hands a cached connection, handshake
        // done, to any location: shared even with session reuse off.
        let kept_alive = |u: &Upstream<'_>| {
            u.target.as_ref().is_some_and(|t| t.group)
                && cx.model.upstream_groups.iter().any(|((_, name), g)| {
                    u.target
                        .as_ref()
                        .is_some_and(|t| name.eq_ignore_ascii_case(&t.host))
                        && cx
                            .config
                            .expanded(g.children())
                            .iter()
                            .any(|d| d.is("keepalive"))
                })
        };
        for u in cx
            .model
            .upstreams
            .iter()
            .filter(|u| u.tls && (u.reuses_sessions() || kept_alive(u)))
        {
            if let Some(key) = u.backend_key() {
                by_backend
                    .entry(key)
                    .or_default()
                    .push((u, u.session_identity()));
            }
        }
        let mut groups: Vec<_> = by_backend.into_iter().collect();
        groups.sort_by_key(|(_, v)| v[0].0.pass.span.start);
        for ((_, backend), passes) in groups {
            let (first, base) = &passes[0];
            for (u, identity) in &passes[1..] {
                let differ: Vec<String> = identity
                    .iter()
                    .zip(base)
                    .filter(|(a, b)| a.1 != b.1)
                    .map(|(a, _)| u.module.directive(a.0))
                    .collect();
                if differ.is_empty() {
                    continue;
                }
                out.push(
                    Finding::new(
                        &INFO,
                        Location::Span(u.pass.span),
                        format!(
                            "this pass and the one at {} reach the same backend {backend} with different {}, and both reuse TLS sessions: a request here can resume the other's session, with its client certificate and its verification result",
                            cx.config.sources.location(first.pass.span),
                            differ.join(", ")
                        ),
                    )
                    .label("shares TLS sessions with another location")
                    .related(Location::Span(first.pass.span), "the other pass to this backend")
                    .help(if kept_alive(u) {
                        "the group's `keepalive` connections carry their first handshake to every location: give each client identity its own `upstream` block".to_string()
                    } else {
                        format!(
                            "add `{} off;` to one of them, or reach the backend through a separate `upstream` block for each client identity",
                            u.module.directive("session_reuse")
                        )
                    }),
                );
            }
        }
    }
}
