//! # MTLS111 client-verify-header-spoofable
//!
//! ## What it does
//! Reports backend headers that carry client-certificate results but can come from the
//! client:
//!
//! - a header such as `X-SSL-Client-Verify` set from a request header
//!   (`$http_x_ssl_client_verify`);
//! - a location (or server) with `proxy_pass` whose own `proxy_set_header` lines
//!   replace the certificate headers set at the server or `http` level (a header named
//!   like `X-SSL-Client-*`, `X-Client-Cert`, `X-Client-Verify`, or set from a
//!   `$ssl_client_*` variable: `X-Client-CN $ssl_client_s_dn`);
//! - a `proxy_pass` location that does not set a certificate header that other
//!   locations of the same server set.
//!
//! nginx inherits `proxy_set_header` as a whole list: a level that sets any
//! `proxy_set_header` of its own inherits none from above. And nginx forwards the
//! client's request headers by default, so a header the location does not set is the
//! client's. A header name with an underscore (`SSL_Client_Verify`) is not reported:
//! nginx drops such client headers by default (`underscores_in_headers off`,
//! `ignore_invalid_headers on`).
//!
//! ## Why is this bad?
//! The backend trusts `X-SSL-Client-Verify: SUCCESS` or `X-Client-CN: admin` as proof
//! of a verified client. If nginx passes the client's own header, anyone can send it.
//!
//! ## Example
//! ```nginx
//! proxy_set_header X-SSL-Client-Verify $ssl_client_verify;   # server level
//! proxy_set_header X-Client-CN $ssl_client_s_dn;
//! location /api/ {
//!     proxy_pass http://app;            # inherits both
//! }
//! location /admin/ {
//!     proxy_set_header Host $host;      # replaces the inherited list
//!     proxy_pass http://app;            # the client's X-Client-CN goes through
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! proxy_set_header X-SSL-Client-Verify $ssl_client_verify;
//! proxy_set_header X-Client-CN $ssl_client_s_dn;
//! location /admin/ {
//!     proxy_set_header Host $host;
//!     proxy_set_header X-SSL-Client-Verify $ssl_client_verify;   # repeated here
//!     proxy_set_header X-Client-CN $ssl_client_s_dn;
//!     proxy_pass http://app;
//! }
//! ```
//! or keep every `proxy_set_header` in one file and `include` it in each location that
//! sets its own.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_set_header>
//! - <https://nginx.org/en/docs/http/ngx_http_core_module.html#underscores_in_headers>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::config::variables::references;
use crate::config::{Config, Directive, Span};
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

/// A `proxy_set_header` that carries client-certificate results: by its name, or by
/// its value (`$ssl_client_s_dn`, `$ssl_client_serial`...).
fn carries_cert(d: &Directive) -> bool {
    d.arg(0).is_some_and(|n| is_cert_header(&n))
        || d.args.get(1).is_some_and(|v| {
            references(&v.value)
                .iter()
                .any(|r| r.name.starts_with("ssl_client_"))
        })
}

/// Certificate headers an enclosing level set that a level's own `proxy_set_header`
/// list replaced: the block that replaced them, and the headers.
#[derive(Clone)]
struct Lost<'a> {
    at: &'a Directive,
    headers: Vec<&'a Directive>,
}

/// A `proxy_pass` with the `proxy_set_header` list in effect and what it lost.
struct Pass<'a> {
    pass: &'a Directive,
    effective: Vec<&'a Directive>,
    lost: Option<Lost<'a>>,
}

fn same_header(a: &Directive, b: &Directive) -> bool {
    match (a.arg(0), b.arg(0)) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(&y),
        _ => false,
    }
}

/// Walks locations, with the proxy_set_header list in effect (nginx's array
/// inheritance: a level with any proxy_set_header of its own inherits none).
fn walk<'a>(
    config: &'a Config,
    block: &'a Directive,
    inherited: &[&'a Directive],
    lost_in: Option<Lost<'a>>,
    passable: &dyn Fn(&Directive) -> bool,
    out: &mut Vec<Pass<'a>>,
) {
    let list = block.children();
    let (effective, lost) = match proxy_headers(config, list) {
        Some(own) => {
            let missing: Vec<&Directive> = inherited
                .iter()
                .copied()
                .filter(|h| carries_cert(h) && passable(h))
                .filter(|h| !own.iter().any(|o| same_header(o, h)))
                .collect();
            let still: Vec<&Directive> = lost_in
                .map(|l| l.headers)
                .unwrap_or_default()
                .into_iter()
                .filter(|h| !own.iter().any(|o| same_header(o, h)))
                .collect();
            let lost = if !missing.is_empty() {
                let mut headers = missing;
                headers.extend(still);
                Some(Lost { at: block, headers })
            } else if !still.is_empty() {
                Some(Lost {
                    at: block,
                    headers: still,
                })
            } else {
                None
            };
            (own, lost)
        }
        None => (inherited.to_vec(), lost_in),
    };
    for d in config.expanded(list) {
        if d.is("proxy_pass") {
            out.push(Pass {
                pass: d,
                effective: effective.clone(),
                lost: lost.clone(),
            });
        }
        if d.block.is_some() && (d.is("location") || d.is("if") || d.is("limit_except")) {
            walk(config, d, &effective, lost.clone(), passable, out);
        }
    }
}

/// `location /admin/` (the block's name and arguments), for a primary span.
fn head(d: &Directive) -> Span {
    let end = d.args.last().map_or(d.name.span.end, |a| a.span.end);
    Span::new(d.name.span.file, d.name.span.start as usize, end as usize)
}

fn head_text(d: &Directive) -> String {
    std::iter::once(d.name.as_str().into_owned())
        .chain(d.args.iter().map(|a| a.as_str().into_owned()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a flag directive is set to `value` in the server or at the http level.
fn flag(
    cx: &Context<'_>,
    server: &Directive,
    http: Option<&Directive>,
    name: &str,
    value: &str,
) -> bool {
    let own = cx
        .config
        .expanded(server.children())
        .into_iter()
        .rfind(|d| d.is(name));
    own.or(http)
        .and_then(|d| d.arg(0))
        .is_some_and(|v| v.eq_ignore_ascii_case(value))
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
        // The http-level settings, looked up once (the http level lists every server).
        let http_last = |name: &str| cx.model.http_level.iter().copied().rfind(|d| d.is(name));
        let http_underscores = http_last("underscores_in_headers");
        let http_invalid = http_last("ignore_invalid_headers");
        for s in &cx.model.servers {
            // A snippet read alone: what it lacks may be in the server that includes it.
            if s.snippet {
                continue;
            }
            if s.protocol != Protocol::Http || s.block.block.is_none() {
                continue;
            }
            // A client's header whose name has an underscore is dropped by default
            // (underscores_in_headers off, ignore_invalid_headers on): not spoofable.
            let underscores = flag(
                cx,
                s.block,
                http_underscores,
                "underscores_in_headers",
                "on",
            ) || flag(cx, s.block, http_invalid, "ignore_invalid_headers", "off");
            let passable = |h: &Directive| -> bool {
                underscores || h.arg(0).is_some_and(|n| !n.contains('_'))
            };
            let mut passes = Vec::new();
            walk(
                cx.config,
                s.block,
                &http_level,
                None,
                &passable,
                &mut passes,
            );
            let server_level = proxy_headers(cx.config, s.block.children()).unwrap_or_default();
            // 2a. A level's own proxy_set_header replaced the certificate headers.
            let mut reported: Vec<Span> = Vec::new();
            for p in &passes {
                let Some(lost) = &p.lost else {
                    continue;
                };
                if reported.contains(&lost.at.span) {
                    continue;
                }
                reported.push(lost.at.span);
                let names: Vec<String> = lost
                    .headers
                    .iter()
                    .filter_map(|h| h.arg(0).map(|n| n.into_owned()))
                    .collect();
                let in_list = |list: &[&Directive]| {
                    lost.headers
                        .iter()
                        .all(|h| list.iter().any(|x| std::ptr::eq(*x, *h)))
                };
                let from = if in_list(&http_level) {
                    "the http block's"
                } else if in_list(&server_level) {
                    "the server's"
                } else {
                    "the enclosing location's"
                };
                let first = names.first().cloned().unwrap_or_default();
                let repeat: Vec<String> = lost
                    .headers
                    .iter()
                    .map(|h| {
                        let args: Vec<String> =
                            h.args.iter().map(|a| a.as_str().into_owned()).collect();
                        format!("proxy_set_header {};", args.join(" "))
                    })
                    .collect();
                let mut f = Finding::new(
                    &INFO,
                    Location::Span(head(lost.at)),
                    format!(
                        "{} sets proxy_set_header of its own, so {from} {} {} not inherited: its proxy_pass {}, and a client's own {first} header reaches the backend",
                        head_text(lost.at),
                        names.join(", "),
                        if names.len() == 1 { "is" } else { "are" },
                        if names.len() == 1 { "does not send it" } else { "sends none of them" }
                    ),
                )
                .label("certificate headers not inherited here")
                .help(format!(
                    "repeat them here ({}), or put every proxy_set_header in one file and include it in each level that sets its own (nginx inherits proxy_set_header only into a level that sets none)",
                    repeat.join(" ")
                ))
                .related(Location::Span(p.pass.span), format!("the client's {first} reaches this backend"));
                for h in lost.headers.iter().take(4) {
                    f = f.related(Location::Span(h.span), "set here, not inherited");
                }
                out.push(f);
            }
            // 2b. Other locations set the header, this one does not.
            let cert_header = |hs: &[&Directive]| -> Option<String> {
                hs.iter()
                    .filter(|h| passable(h))
                    .filter_map(|h| h.arg(0))
                    .find(|n| is_cert_header(n))
                    .map(|n| n.into_owned())
            };
            let Some(header) = passes.iter().find_map(|p| cert_header(&p.effective)) else {
                continue;
            };
            let setter = passes
                .iter()
                .find(|p| cert_header(&p.effective).is_some())
                .map(|p| p.pass.span);
            for p in &passes {
                if p.lost.is_some() || cert_header(&p.effective).is_some() {
                    continue;
                }
                let mut f = Finding::new(
                    &INFO,
                    Location::Span(p.pass.span),
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

#[cfg(test)]
mod tests {
    use super::super::rule::Options;
    use super::*;
    use crate::config::{Input, LoadOptions, load};
    use crate::model::Model;
    use crate::model::trust::CertFiles;

    fn findings(src: &str) -> Vec<String> {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("nginx.conf");
        std::fs::write(&p, src).unwrap();
        let config = load(&Input::File(p), &LoadOptions::default());
        let model = Model::build(&config);
        let files = CertFiles::read(&model);
        let options = Options::default();
        let cx = Context {
            config: &config,
            model: &model,
            files: &files,
            options: &options,
            client_certs: &[],
        };
        let mut out = Vec::new();
        Rule111.check(&cx, &mut out);
        out.into_iter().map(|f| f.message).collect()
    }

    const SERVER: &str = "events {} http { server { listen 443 ssl; ssl_verify_client on; \
        proxy_set_header X-Client-CN $ssl_client_s_dn; proxy_set_header SSL_Client_Verify $ssl_client_verify; \
        location /admin/ { proxy_set_header Host $host; proxy_pass http://app; } EXTRA } }";

    #[test]
    fn a_location_with_its_own_list_loses_the_server_headers() {
        let f = findings(&SERVER.replace("EXTRA", ""));
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].starts_with("location /admin/ sets proxy_set_header of its own, so the server's X-Client-CN is not inherited"), "{f:?}");
    }

    #[test]
    fn underscore_names_are_dropped_from_client_requests_unless_allowed() {
        // SSL_Client_Verify is lost too, but a client cannot send it.
        let f = findings(&SERVER.replace("EXTRA", ""));
        assert!(!f[0].contains("SSL_Client_Verify"), "{f:?}");
        let f = findings(&SERVER.replace("EXTRA", "underscores_in_headers on;"));
        assert!(f[0].contains("X-Client-CN, SSL_Client_Verify"), "{f:?}");
    }

    #[test]
    fn repeating_the_headers_or_inheriting_them_is_fine() {
        let src = "events {} http { server { listen 443 ssl; ssl_verify_client on; \
            proxy_set_header X-Client-CN $ssl_client_s_dn; \
            location /a/ { proxy_pass http://app; } \
            location /b/ { proxy_set_header Host $host; proxy_set_header X-Client-CN $ssl_client_s_dn; proxy_pass http://app; } } }";
        assert_eq!(findings(src), Vec::<String>::new());
    }
}
