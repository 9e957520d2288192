//! # MTLS123 ssl-directive-deprecated
//!
//! ## What it does
//! Reports `ssl on;` and `ssl off;` when the version checked (`--nginx-version`) is
//! older than 1.25.1, and names the `listen` lines of the servers it applies to that
//! have no `ssl` parameter. From 1.25.1 on nginx no longer knows the directive and
//! refuses the configuration; that is reported as MTLS005 (unknown-directive), not
//! here.
//!
//! ## Why is this bad?
//! `nginx -t` warns (and still succeeds): `the "ssl" directive is deprecated, use the
//! "listen ... ssl" directive instead`, with the file and line. The upgrade to 1.25.1
//! or later then fails with `unknown directive "ssl"`.
//!
//! `ssl on` makes every `listen` of the server TLS, also a `listen 80;` (a plain HTTP
//! request there gets `400 The plain HTTP request was sent to HTTPS port`, measured with
//! nginx 1.22.1). Configurations written for it usually say `listen 443;` without `ssl`:
//! when `ssl on;` is deleted to get past the upgrade, port 443 speaks plain HTTP, and
//! the server neither requests nor checks client certificates.
//!
//! ## Example
//! ```nginx
//! server {
//!     listen 443;
//!     ssl on;
//!     ssl_certificate     server.crt;
//!     ssl_certificate_key server.key;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! server {
//!     listen 443 ssl;
//!     ssl_certificate     server.crt;
//!     ssl_certificate_key server.key;
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl>
//! - <https://nginx.org/en/docs/http/ngx_http_core_module.html#listen>
//! - <https://nginx.org/en/CHANGES> (1.15.0: deprecated; 1.25.1: removed)

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::config::Span;

pub struct Rule123;

crate::rule_info!(
    "MTLS123",
    "ssl-directive-deprecated",
    Warning,
    "mtls123_ssl_directive_deprecated.rs"
);

/// nginx deprecated `ssl` in 1.15.0 and removed it in 1.25.1.
const DEPRECATED: (u32, u32, u32) = (1, 15, 0);
const REMOVED: (u32, u32, u32) = (1, 25, 1);

const NGINX_WARNING: &str =
    "the \"ssl\" directive is deprecated, use the \"listen ... ssl\" directive instead";

impl Rule for Rule123 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let v = cx.options.nginx_version;
        if !(DEPRECATED..REMOVED).contains(&v) {
            return;
        }
        for d in &cx.model.all {
            if !d.is("ssl") || d.args.len() != 1 {
                continue;
            }
            let on = d.arg(0).is_some_and(|a| a.eq_ignore_ascii_case("on"));
            // The listens without `ssl` of the servers this directive applies to.
            let mut plain: Vec<(Span, String)> = Vec::new();
            for s in &cx.model.servers {
                if s.ssl.ssl_on.is_none_or(|x| x.directive.span != d.span) {
                    continue;
                }
                for l in &s.listens {
                    if let Some(ld) = l.directive
                        && !l.ssl
                    {
                        let text = std::iter::once("listen".to_string())
                            .chain(ld.args.iter().map(|a| a.as_str().into_owned()))
                            .collect::<Vec<_>>()
                            .join(" ");
                        plain.push((ld.span, text));
                    }
                }
            }
            let (message, help) = if on {
                let consequence = if plain.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; it is what makes {} TLS: delete it without adding ssl there and those ports speak plain HTTP, with no client certificate check",
                        plain
                            .iter()
                            .map(|(_, t)| format!("`{t};`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                (
                    format!(
                        "\"ssl on\" is deprecated: nginx -t warns \"{NGINX_WARNING}\", and nginx 1.25.1 and later refuse it (unknown directive \"ssl\"){consequence}"
                    ),
                    format!(
                        "put ssl on each listen that must be TLS (`{}`) and delete `ssl on;` (ssl on makes every listen of the server TLS, also port 80)",
                        plain
                            .first()
                            .map(|(_, t)| format!("{t} ssl;"))
                            .unwrap_or_else(|| "listen 443 ssl;".into())
                    ),
                )
            } else {
                (
                    format!(
                        "\"ssl off\" is deprecated: nginx -t warns \"{NGINX_WARNING}\", and nginx 1.25.1 and later refuse it (unknown directive \"ssl\")"
                    ),
                    "delete it: without `ssl on`, the listen lines alone decide (`listen 443 ssl;`)"
                        .to_string(),
                )
            };
            let mut f = Finding::new(&INFO, Location::Span(d.span), message)
                .label("deprecated")
                .help(help);
            for (span, _) in plain.iter().take(4) {
                f = f.related(
                    Location::Span(*span),
                    "TLS only because of ssl on: add ssl here",
                );
            }
            out.push(f);
        }
    }
}
