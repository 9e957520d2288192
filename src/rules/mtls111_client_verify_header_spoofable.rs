//! # MTLS111 client-verify-header-spoofable
//!
//! ## What it does
//! Reports backend headers that carry client-certificate results but can come from the
//! client: a header such as `X-SSL-Client-Verify` set from a request header
//! (`$http_x_ssl_client_verify`), and a `proxy_pass` location that does not set the
//! header while other locations of the same server do (a location's own
//! `proxy_set_header` replaces every inherited one, so the client's header goes through).
//!
//! ## Why is this bad?
//! The backend trusts `X-SSL-Client-Verify: SUCCESS` as proof of a verified client. If
//! nginx passes the client's own header, anyone can send it.
//!
//! ## Example
//! ```nginx
//! location /api/ {
//!     proxy_set_header X-SSL-Client-Verify $ssl_client_verify;
//!     proxy_pass http://app;
//! }
//! location /admin/ {
//!     proxy_set_header Host $host;      # replaces the inherited list
//!     proxy_pass http://app;            # the client's X-SSL-Client-Verify goes through
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! proxy_set_header X-SSL-Client-Verify $ssl_client_verify;   # at server level
//! location /admin/ {
//!     proxy_set_header Host $host;
//!     proxy_set_header X-SSL-Client-Verify $ssl_client_verify;   # repeated here
//!     proxy_pass http://app;
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_set_header>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::config::{Config, Directive};
use crate::model::Protocol;

pub struct Rule111;

crate::rule_info!(
    "MTLS111",
    "client-verify-header-spoofable",
    Error,
    "mtls111_client_verify_header_spoofable.rs"
);

const SETTERS: [&str; 5] = [
    "proxy_set_header",
    "grpc_set_header",
    "fastcgi_param",
    "uwsgi_param",
    "scgi_param",
];

/// A header or parameter name that carries client-certificate results.
fn is_cert_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace('_', "-");
    (n.contains("ssl-client") || n.contains("client-cert") || n.contains("client-verify"))
        && !n.starts_with("$")
}

fn proxy_headers<'a>(config: &'a Config, list: &'a [Directive]) -> Option<Vec<&'a Directive>> {
    let v: Vec<&Directive> = config
        .expanded(list)
        .into_iter()
        .filter(|d| d.is("proxy_set_header"))
        .collect();
    if v.is_empty() { None } else { Some(v) }
}

/// Walks locations, with the proxy_set_header list in effect, collecting
/// `(proxy_pass directive, effective headers)`.
fn walk<'a>(
    config: &'a Config,
    list: &'a [Directive],
    inherited: &[&'a Directive],
    out: &mut Vec<(&'a Directive, Vec<&'a Directive>)>,
) {
    let own = proxy_headers(config, list);
    let effective: Vec<&Directive> = own.unwrap_or_else(|| inherited.to_vec());
    for d in config.expanded(list) {
        if d.is("proxy_pass") {
            out.push((d, effective.clone()));
        }
        if let Some(b) = &d.block
            && (d.is("location") || d.is("if") || d.is("limit_except"))
        {
            walk(config, &b.directives, &effective, out);
        }
    }
}

impl Rule for Rule111 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        // 1. Certificate headers set from request headers.
        for d in &cx.model.all {
            let name = d.name.as_str();
            if !SETTERS.contains(&name.as_ref()) || d.args.len() < 2 {
                continue;
            }
            let header = d.args[0].as_str();
            let value = d.args[1].as_str();
            if is_cert_header(&header) && value.contains("$http_") {
                out.push(
                    Finding::new(
                        &INFO,
                        Location::Span(d.span),
                        format!("{header} is set from a request header ({value}): any client can send it"),
                    )
                    .label("client-controlled value")
                    .help(format!("use nginx's own variable: `{name} {header} $ssl_client_verify;` (or $ssl_client_s_dn, $ssl_client_escaped_cert)")),
                );
            }
        }
        // 2. proxy_pass locations that let the client's header through.
        let http_level: Vec<&Directive> = cx
            .model
            .http_level
            .iter()
            .copied()
            .filter(|d| d.is("proxy_set_header"))
            .collect();
        for s in &cx.model.servers {
            if s.protocol != Protocol::Http {
                continue;
            }
            let Some(block) = &s.block.block else {
                continue;
            };
            let mut passes = Vec::new();
            walk(cx.config, &block.directives, &http_level, &mut passes);
            let cert_header = |hs: &[&Directive]| -> Option<String> {
                hs.iter()
                    .filter_map(|h| h.arg(0))
                    .find(|n| is_cert_header(n))
                    .map(|n| n.into_owned())
            };
            let Some(header) = passes.iter().find_map(|(_, hs)| cert_header(hs)) else {
                continue;
            };
            let setter = passes
                .iter()
                .find(|(_, hs)| cert_header(hs).is_some())
                .map(|(p, _)| p.span);
            for (pass, hs) in &passes {
                if cert_header(hs).is_some() {
                    continue;
                }
                let mut f = Finding::new(
                    &INFO,
                    Location::Span(pass.span),
                    format!(
                        "this proxy_pass does not set {header}, which other locations of the server set: the client's own {header} header reaches the backend"
                    ),
                )
                .label("client's header passed through")
                .help(format!(
                    "add `proxy_set_header {header} $ssl_client_verify;` to this location (a location's own proxy_set_header replaces all inherited ones), or `proxy_set_header {header} \"\";` where it must not be sent"
                ));
                if let Some(sp) = setter {
                    f = f.related(Location::Span(sp), "set for this proxy_pass");
                }
                out.push(f);
            }
        }
    }
}
