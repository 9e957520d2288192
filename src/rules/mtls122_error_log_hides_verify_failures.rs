//! # MTLS122 error-log-hides-verify-failures
//!
//! ## What it does
//! Reports a mutual-TLS server whose error log, as nginx uses it for the server, has a
//! level above `info`: `notice`, `warn`, `error` (nginx's default), `crit`, `alert`
//! or `emerg`. It fires once per server, at the `error_log` in effect (the server's
//! own, else its `http {}`/`stream {}` block's, else the main level's), or at the
//! server when there is none (nginx's default error log, level `error`).
//!
//! A site file read without the main configuration above it is judged only when it
//! sets `error_log` itself: the main level's `error_log` was not seen.
//!
//! ## Why is this bad?
//! nginx logs why it rejected a client certificate at level `info` only, for example
//! (nginx 1.22.1):
//!
//! ```text
//! [info] 12480#12480: *2 client SSL certificate verify error: (21:unable to verify the first certificate) while reading client request headers, client: 127.0.0.1, ...
//! [info] 12480#12480: *1 client sent no required SSL certificate while reading client request headers, client: 127.0.0.1, ...
//! ```
//!
//! Above `info` the error log never says why clients get `400 Bad Request`, and the
//! access log shows only the 400. The message is written to the server's error log
//! (the request's virtual server, before any location), so an `error_log ... info`
//! in a location does not help. At `info` nginx also logs connection-level events
//! (`client 127.0.0.1 closed keepalive connection`, TLS handshake failures), a few
//! lines per connection, not per request.
//!
//! ## Example
//! ```nginx
//! error_log /var/log/nginx/error.log warn;
//! http {
//!     server { ssl_verify_client on; ... }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! error_log /var/log/nginx/error.log warn;
//! http {
//!     server {
//!         ssl_verify_client on;
//!         error_log /var/log/nginx/mtls-error.log info;
//!         ...
//!     }
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/ngx_core_module.html#error_log>
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_verify_client>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::config::Directive;
use crate::config::directives::ERROR_LOG_LEVELS as LEVELS;
use crate::model::Protocol;

pub struct Rule122;

crate::rule_info!(
    "MTLS122",
    "error-log-hides-verify-failures",
    Warning,
    "mtls122_error_log_hides_verify_failures.rs"
);

/// The level of an `error_log` (`error` when it names none), as an index of [`LEVELS`].
fn level(d: &Directive) -> usize {
    d.arg(1)
        .and_then(|l| LEVELS.iter().position(|x| l.eq_ignore_ascii_case(x)))
        .unwrap_or(4)
}

/// Where an effective `error_log` list comes from.
enum Source<'a> {
    Logs(&'a str, Vec<&'a Directive>),
    Default,
}

impl Rule for Rule122 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let fragment = cx.config.roots.iter().any(|r| !r.context.is_empty());
        // error_log directly at the main, http and stream levels.
        let mut main = Vec::new();
        let mut blocks: Vec<(Protocol, &Directive)> = Vec::new();
        cx.config.walk(&mut |v| {
            if !v.directive.is("error_log") {
                return;
            }
            let names = v.context_names();
            match names
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .as_slice()
            {
                [] => main.push(v.directive),
                ["http"] => blocks.push((Protocol::Http, v.directive)),
                ["stream"] => blocks.push((Protocol::Stream, v.directive)),
                _ => {}
            }
        });
        for s in &cx.model.servers {
            if !s.mtls() {
                continue;
            }
            let own: Vec<&Directive> = cx
                .config
                .expanded(s.block.children())
                .into_iter()
                .filter(|d| d.is("error_log"))
                .collect();
            let block: Vec<&Directive> = blocks
                .iter()
                .filter(|(p, _)| *p == s.protocol)
                .map(|(_, d)| *d)
                .collect();
            let source = if !own.is_empty() {
                Source::Logs("this server's", own)
            } else if !block.is_empty() {
                Source::Logs(
                    if s.protocol == Protocol::Http {
                        "the http block's"
                    } else {
                        "the stream block's"
                    },
                    block,
                )
            } else if fragment {
                // The main level was not read: its error_log is unknown.
                continue;
            } else if !main.is_empty() {
                Source::Logs("the main level's", main.clone())
            } else {
                Source::Default
            };
            let name = s.display_name();
            let suggestion = "error_log /var/log/nginx/error.log info;";
            match source {
                Source::Logs(whose, logs) => {
                    let best = logs.iter().map(|d| level(d)).min().unwrap_or(4);
                    if best <= 1 {
                        continue;
                    }
                    let d = logs
                        .iter()
                        .find(|d| level(d) == best)
                        .copied()
                        .unwrap_or(logs[0]);
                    let mut f = Finding::new(
                        &INFO,
                        Location::Span(d.span),
                        format!(
                            "mutual-TLS server {name} logs at level \"{}\" ({whose} error_log): nginx logs rejected client certificates at \"info\" (\"client SSL certificate verify error: (20:unable to get local issuer certificate) while reading client request headers\"), so this log never says why clients get 400",
                            LEVELS[best]
                        ),
                    )
                    .label(format!("level {}", LEVELS[best]))
                    .help(format!(
                        "set `{suggestion}` in server {name} (at info nginx also logs connection-level events such as closed keep-alive connections and failed handshakes, not every request)"
                    ));
                    if whose != "this server's" {
                        f = f.related(Location::Span(s.block.name.span), "this server");
                    }
                    out.push(f);
                }
                Source::Default => {
                    out.push(
                        Finding::new(
                            &INFO,
                            Location::Span(s.block.name.span),
                            format!(
                                "mutual-TLS server {name} has no error_log in effect: nginx's default error log has level \"error\", and nginx logs rejected client certificates at \"info\" (\"client SSL certificate verify error: ...\", \"client sent no required SSL certificate\"), so the log never says why clients get 400"
                            ),
                        )
                        .label("default error log, level error")
                        .help(format!(
                            "set `{suggestion}` in this server (at info nginx also logs connection-level events such as closed keep-alive connections and failed handshakes, not every request)"
                        )),
                    );
                }
            }
        }
    }
}
