//! # MTLS121 error-page-in-location-unused
//!
//! ## What it does
//! Reports `error_page 495`, `496` or `497` inside a `location` (or an `if` in one)
//! when nothing in that location returns the code itself (`return 496;`).
//!
//! ## Why is this bad?
//! nginx checks the client certificate while it reads the request headers, before it
//! picks a location: a failed certificate (495, "The SSL certificate error"), a missing
//! one with `ssl_verify_client on` (496, "No required SSL certificate was sent") and
//! plain HTTP on a TLS port (497) are answered with the error pages of the server
//! level (its own `error_page`, or the `http` level's when the server has none). A
//! location's `error_page` for these codes never applies, so clients get nginx's
//! default `400 Bad Request` page instead of the page configured.
//!
//! Measured with nginx 1.22.1 and curl: with `error_page 495 496 /cert.html;` in
//! `location /`, a request without a certificate and one with a certificate of
//! another CA both got the default 400 page; with the same line in the server block
//! both got `/cert.html` (status 400). `error_page 400` does not catch them either
//! (nginx matches the original code, 495/496). Only a `return 496;` that the location
//! itself runs (with `ssl_verify_client optional` and an `if` on `$ssl_client_verify`)
//! uses the location's `error_page`.
//!
//! ## Example
//! ```nginx
//! server {
//!     ssl_verify_client on;
//!     location / {
//!         error_page 495 496 /cert-error.html;
//!         proxy_pass http://app;
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! server {
//!     ssl_verify_client on;
//!     error_page 495 496 /cert-error.html;
//!     location = /cert-error.html { root /var/www/errors; }
//!     location / {
//!         proxy_pass http://app;
//!     }
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_core_module.html#error_page>
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#errors>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::config::{Config, Directive};
use crate::model::Protocol;

pub struct Rule121;

crate::rule_info!(
    "MTLS121",
    "error-page-in-location-unused",
    Warning,
    "mtls121_error_page_in_location_unused.rs"
);

/// The codes nginx answers before it picks a location, with its default page's text.
const EARLY: [(u16, &str); 3] = [
    (495, "400 The SSL certificate error"),
    (496, "400 No required SSL certificate was sent"),
    (497, "400 The plain HTTP request was sent to HTTPS port"),
];

/// The status codes an `error_page` directive handles (not `=NNN` or the URI).
fn codes(d: &Directive) -> Vec<u16> {
    let n = d.args.len();
    d.args
        .iter()
        .take(n.saturating_sub(1))
        .filter_map(|w| w.as_str().parse::<u16>().ok())
        .collect()
}

/// Whether a `return CODE` runs somewhere in the block (nested blocks too).
fn returns(config: &Config, list: &[Directive], code: u16) -> bool {
    config.expanded(list).into_iter().any(|d| {
        (d.is("return") && d.arg(0).and_then(|a| a.parse::<u16>().ok()) == Some(code))
            || returns(config, d.children(), code)
    })
}

/// `error_page` directives inside locations: (the directive, its block, the location).
fn in_locations<'a>(
    config: &'a Config,
    list: &'a [Directive],
    location: Option<&'a Directive>,
    out: &mut Vec<(&'a Directive, &'a [Directive], &'a Directive)>,
) {
    for d in config.expanded(list) {
        if d.is("error_page")
            && let Some(loc) = location
        {
            out.push((d, list, loc));
        }
        if d.is("location") {
            in_locations(config, d.children(), Some(d), out);
        } else if d.is("if") || d.is("limit_except") {
            in_locations(config, d.children(), location, out);
        }
    }
}

impl Rule for Rule121 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let http_pages: Vec<&Directive> = cx
            .model
            .http_level
            .iter()
            .copied()
            .filter(|d| d.is("error_page"))
            .collect();
        for s in &cx.model.servers {
            if s.protocol != Protocol::Http {
                continue;
            }
            let body = s.block.children();
            let own: Vec<&Directive> = cx
                .config
                .expanded(body)
                .into_iter()
                .filter(|d| d.is("error_page"))
                .collect();
            // nginx inherits the error_page list as a whole.
            let server_pages = if own.is_empty() { &http_pages } else { &own };
            let mut found = Vec::new();
            in_locations(cx.config, body, None, &mut found);
            for (d, block, loc) in found {
                let early: Vec<(u16, &str)> = codes(d)
                    .into_iter()
                    .filter_map(|c| EARLY.iter().copied().find(|(e, _)| *e == c))
                    .filter(|(c, _)| !returns(cx.config, block, *c))
                    .collect();
                if early.is_empty() {
                    continue;
                }
                let list: Vec<String> = early.iter().map(|(c, _)| c.to_string()).collect();
                let where_ = std::iter::once(loc.name.as_str().into_owned())
                    .chain(loc.args.iter().map(|a| a.as_str().into_owned()))
                    .collect::<Vec<_>>()
                    .join(" ");
                let mut answers = Vec::new();
                let mut related = Vec::new();
                for (c, default) in &early {
                    match server_pages.iter().find(|p| codes(p).contains(c)) {
                        Some(p) => {
                            let uri = p.args.last().map(|a| a.as_str().into_owned());
                            answers.push(format!(
                                "{c} gets the server level's {}",
                                uri.unwrap_or_default()
                            ));
                            if !related.iter().any(|(sp, _)| *sp == p.span) {
                                related.push((p.span, "the error_page nginx uses instead"));
                            }
                        }
                        None => answers.push(format!("{c} gets nginx's default \"{default}\"")),
                    }
                }
                let uri = d
                    .args
                    .last()
                    .map(|a| a.as_str().into_owned())
                    .unwrap_or_default();
                // The same directive for the server level: these codes, the same answer.
                let moved = list
                    .iter()
                    .cloned()
                    .chain(
                        d.args
                            .iter()
                            .map(|a| a.as_str().into_owned())
                            .filter(|a| a.parse::<u16>().is_err()),
                    )
                    .collect::<Vec<_>>()
                    .join(" ");
                let mut f = Finding::new(
                    &INFO,
                    Location::Span(d.span),
                    format!(
                        "error_page {} in {where_} never applies: nginx answers these while it reads the request headers, before it picks a location, with the server's error pages ({})",
                        list.join(" "),
                        answers.join(", ")
                    ),
                )
                .label("not used for the certificate check")
                .help(format!(
                    "move it to the server block (`error_page {moved};` next to ssl_verify_client) and keep a location that serves {uri}; a location's error_page applies only to codes it returns itself (`if ($ssl_client_verify != SUCCESS) {{ return 496; }}` with ssl_verify_client optional)"
                ))
                .related(Location::Span(s.block.name.span), "this server");
                for (sp, m) in related {
                    f = f.related(Location::Span(sp), m);
                }
                out.push(f);
            }
        }
    }
}
