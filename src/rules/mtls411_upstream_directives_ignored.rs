//! # MTLS411 upstream-directives-ignored
//!
//! ## What it does
//! Reports upstream-TLS directives that the pass beside them does not use: another
//! module's (`proxy_ssl_*` in a location that uses `grpc_pass`, `grpc_ssl_*` with
//! `proxy_pass`), and a location's own `proxy_ssl_*` (and the other modules') where the
//! pass connects without TLS (`proxy_pass http://`, `grpc_pass grpc://`, stream without
//! `proxy_ssl on`).
//!
//! ## Why is this bad?
//! nginx ignores them: the client certificate is never sent, the backend never
//! verified. gRPC needs `grpc_ssl_certificate` and `grpcs://`; plain `http://` means no
//! TLS to the backend at all.
//!
//! ## Example
//! ```nginx
//! location /api.Service/ {
//!     grpc_pass grpcs://backend:50051;
//!     proxy_ssl_certificate     client.crt;
//!     proxy_ssl_certificate_key client.key;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! location /api.Service/ {
//!     grpc_pass grpcs://backend:50051;
//!     grpc_ssl_certificate     client.crt;
//!     grpc_ssl_certificate_key client.key;
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_grpc_module.html#grpc_ssl_certificate>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::model::upstream::Module;

pub struct Rule411;

crate::rule_info!(
    "MTLS411",
    "upstream-directives-ignored",
    Warning,
    "mtls411_upstream_directives_ignored.rs"
);

impl Rule for Rule411 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let mut seen = std::collections::HashSet::new();
        for u in &cx.model.upstreams {
            let foreign: Vec<_> = u
                .foreign
                .iter()
                .filter(|s| !seen.contains(&s.span()))
                .collect();
            if let Some(first) = foreign.first() {
                seen.extend(foreign.iter().map(|s| s.span()));
                let names: Vec<String> = foreign
                    .iter()
                    .map(|s| s.directive.name.as_str().into_owned())
                    .collect();
                let own: Vec<String> = names
                    .iter()
                    .filter_map(|n| {
                        n.split_once("_ssl_")
                            .map(|(_, suffix)| u.module.directive(suffix))
                    })
                    .collect();
                let mut f = Finding::new(
                    &INFO,
                    Location::Span(first.span()),
                    format!(
                        "{} {} ignored here: this location connects with {}, which reads {}",
                        names.join(", "),
                        if names.len() == 1 { "is" } else { "are" },
                        u.pass.name.as_str(),
                        own.join(", ")
                    ),
                )
                .label("another module's directive")
                .related(Location::Span(u.pass.span), u.describe())
                .help(format!("rename them to {}", own.join(", ")));
                for s in &foreign[1..] {
                    f = f.related(Location::Span(s.span()), "ignored too");
                }
                out.push(f);
            }
            if u.tls {
                continue;
            }
            // The location's own settings (not inherited ones: a server-wide
            // proxy_ssl_certificate may serve other locations).
            // (The password file is read whatever the pass: not ignored.)
            let own: Vec<_> = u
                .ssl
                .all()
                .filter(|s| {
                    let n = s.directive.name.as_str();
                    !s.inherited && n != "proxy_ssl" && !n.ends_with("_password_file")
                })
                .collect();
            let Some(first) = own.first() else { continue };
            if seen.contains(&first.span()) {
                continue;
            }
            seen.insert(first.span());
            let how = match u.module {
                Module::Stream => "`proxy_ssl on;`".to_string(),
                m => format!("the {} scheme", m.tls_scheme().unwrap_or("")),
            };
            out.push(
                Finding::new(
                    &INFO,
                    Location::Span(first.span()),
                    format!(
                        "{} {} ignored: {} connects to the backend without TLS",
                        own.iter()
                            .map(|s| s.directive.name.as_str().into_owned())
                            .collect::<Vec<_>>()
                            .join(", "),
                        if own.len() == 1 { "is" } else { "are" },
                        u.describe()
                    ),
                )
                .label("upstream TLS settings for a plain connection")
                .related(Location::Span(u.pass.span), "connects without TLS")
                .help(format!("connect with TLS ({how}), or remove them")),
            );
        }
    }
}
