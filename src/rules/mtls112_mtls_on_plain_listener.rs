//! # MTLS112 mtls-on-plain-listener
//!
//! ## What it does
//! Reports a server that asks for client certificates (`ssl_verify_client` not `off`)
//! but also, or only, listens without `ssl`.
//!
//! A server whose plain requests are all redirected or refused before anything is served
//! (`return 301 https://...` at server level, or an `if ($scheme = http) { return ...; }`
//! at server level or in every location) is not reported.
//!
//! ## Why is this bad?
//! nginx checks client certificates only on TLS connections. On a plain `listen 80;`
//! (or any `listen` without `ssl`) of the same server, requests are served with no
//! certificate check at all: the plain port bypasses mutual TLS. A server with no TLS
//! listener and no `ssl_certificate` ignores every `ssl_*` directive.
//!
//! ## Example
//! ```nginx
//! server {
//!     listen 80;
//!     listen 443 ssl;
//!     ssl_verify_client on;
//!     location / { proxy_pass http://app; }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! server { listen 80; return 301 https://$host$request_uri; }
//! server {
//!     listen 443 ssl;
//!     ssl_verify_client on;
//!     location / { proxy_pass http://app; }
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_core_module.html#listen>
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_verify_client>

use super::rule::{Context, Finding, Location, Rule, RuleInfo, Severity};
use crate::model::Protocol;

pub struct Rule112;

crate::rule_info!(
    "MTLS112",
    "mtls-on-plain-listener",
    Error,
    "mtls112_mtls_on_plain_listener.rs"
);

/// `return` with a redirect or an error: nothing is served.
fn refuses(d: &crate::config::Directive) -> bool {
    d.is("return")
        && d.arg(0)
            .and_then(|c| c.parse::<u16>().ok())
            .is_some_and(|c| c >= 300)
}

/// `if ($scheme = http) { return 301 ...; }`, `if ($scheme != "https")`, `if ($https =
/// "")`, `if ($server_port = 80)`: plain requests are redirected or refused.
fn guards_plain(d: &crate::config::Directive) -> bool {
    d.is("if")
        && d.args.iter().any(|a| {
            let a = a.as_str();
            a.contains("$scheme") || a.contains("$https") || a.contains("$server_port")
        })
        && d.children().iter().any(refuses)
}

impl Rule for Rule112 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for s in &cx.model.servers {
            // A snippet read alone: what it lacks may be in the server that includes it.
            if s.snippet {
                continue;
            }
            if !s.mtls() {
                continue;
            }
            let Some(verify) = s.ssl.verify_client else {
                continue;
            };
            // `ssl on;` makes every listener TLS.
            if s.ssl.ssl_on.is_some_and(|o| o.value() == "on") {
                continue;
            }
            // A server whose only job is a redirect serves nothing over plain HTTP, nor
            // one that redirects or refuses every plain request (`if ($scheme = http)`),
            // at server level or in every location.
            let top = s.block.children();
            let locations: Vec<&crate::config::Directive> =
                top.iter().filter(|d| d.is("location")).collect();
            let redirects = top.iter().any(|d| refuses(d) || guards_plain(d))
                || (!locations.is_empty()
                    && locations
                        .iter()
                        .all(|l| l.children().iter().any(|d| refuses(d) || guards_plain(d))));
            let plain: Vec<_> = s.listens.iter().filter(|l| !l.ssl).collect();
            if plain.is_empty() || redirects {
                continue;
            }
            if !s.ssl_configured() {
                out.push(
                    Finding::new(
                        &INFO,
                        Location::Span(verify.span()),
                        format!(
                            "server {} has no `listen ... ssl` and no ssl_certificate: nginx ignores ssl_verify_client and every other ssl_* directive here",
                            s.display_name()
                        ),
                    )
                    .label("has no effect")
                    .help("add `ssl` to the listen directive (`listen 443 ssl;`) with ssl_certificate/ssl_certificate_key, or remove the ssl_* directives")
                    .related(Location::Span(s.block.name.span), "this server"),
                );
                let last = out.len() - 1;
                out[last].severity = Severity::Warning;
                continue;
            }
            for l in plain {
                let location = match l.directive {
                    Some(d) => Location::Span(d.span),
                    None => Location::Span(s.block.name.span),
                };
                let what = if s.protocol == Protocol::Http {
                    "requests on it are served without any client certificate check"
                } else {
                    "connections on it are proxied without any client certificate check"
                };
                out.push(
                    Finding::new(
                        &INFO,
                        location,
                        format!(
                            "{} listens on {} without ssl although it requires client certificates: {what}",
                            s.display_name(),
                            l.socket
                        ),
                    )
                    .label(if l.directive.is_some() { "plain listener" } else { "no listen: plain *:80" })
                    .related(Location::Span(verify.span()), "client certificates required here")
                    .help("add `ssl` to this listen, or move it to a separate server that only redirects (`return 301 https://$host$request_uri;`)"),
                );
            }
        }
    }
}
