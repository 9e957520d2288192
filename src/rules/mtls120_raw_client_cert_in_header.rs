//! # MTLS120 raw-client-cert-in-header
//!
//! ## What it does
//! Reports `$ssl_client_raw_cert` or `$ssl_client_cert` in an HTTP header: a request
//! header to the backend (`proxy_set_header`, `grpc_set_header`,
//! `more_set_input_headers`) or a response header to the client (`add_header`,
//! `add_trailer`, `more_set_headers`).
//!
//! Parameters are not reported: `fastcgi_param`, `uwsgi_param` and `scgi_param` carry
//! each value with its length, so the PEM's newlines arrive intact (PHP's
//! `$_SERVER['SSL_CLIENT_CERT']` then holds the PEM, as with Apache's mod_ssl).
//!
//! ## Why is this bad?
//! Both variables hold the client certificate as PEM, several lines long, and nginx
//! puts the value into the header as it is. What nginx 1.22 sent for
//! `proxy_set_header X-Cert $ssl_client_raw_cert;` (measured with curl and a backend
//! on 127.0.0.1):
//!
//! ```text
//! GET /raw HTTP/1.0
//! X-Cert: -----BEGIN CERTIFICATE-----
//! MIICxTCCAa0CFFEio55bqEA+zgZtV3QCdghNCYguMA0GCSqGSIb3DQEBCwUAMBIx
//! ...
//! -----END CERTIFICATE-----
//!
//! Host: 127.0.0.1:19001
//! ```
//!
//! The lines after the first end the header; an nginx backend answers `400 Bad
//! Request` (its log: `client sent invalid header line: "MIIC..."`), others reject or
//! cut the request, and the certificate never arrives. `$ssl_client_cert` (deprecated)
//! starts every line after the first with a tab: obsolete line folding, which an
//! nginx backend also answers with 400 and RFC 9112 lets servers reject. Over
//! `grpc_set_header` the value is invalid HTTP/2: an nginx HTTP/2 backend resets the
//! stream (`client sent header "x-cert" with invalid value`) and the client gets 502.
//! In `add_header` the client's own response is broken: curl over HTTP/2 fails with
//! `PROTOCOL_ERROR`.
//!
//! ## Example
//! ```nginx
//! proxy_set_header X-SSL-Client-Cert $ssl_client_raw_cert;
//! ```
//!
//! ## Use instead
//! ```nginx
//! # URL-encoded PEM on one line (nginx 1.13.5+): decode it in the backend.
//! proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert;
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#var_ssl_client_escaped_cert>
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#var_ssl_client_raw_cert>
//! - <https://www.rfc-editor.org/rfc/rfc9112#section-5.2>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::config::Word;
use crate::config::variables::{references, value_span};

pub struct Rule120;

crate::rule_info!(
    "MTLS120",
    "raw-client-cert-in-header",
    Error,
    "mtls120_raw_client_cert_in_header.rs"
);

/// Header setters: name, whether the header goes to the backend (else to the client),
/// and the index of the value argument (`None`: any argument, `Name: value` form).
const SETTERS: [(&str, bool, Option<usize>); 6] = [
    ("proxy_set_header", true, Some(1)),
    ("grpc_set_header", true, Some(1)),
    ("more_set_input_headers", true, None),
    ("add_header", false, Some(1)),
    ("add_trailer", false, Some(1)),
    ("more_set_headers", false, None),
];

impl Rule for Rule120 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for d in &cx.model.all {
            let name = d.name.as_str();
            let Some(&(setter, upstream, index)) =
                SETTERS.iter().find(|(n, _, _)| *n == name.as_ref())
            else {
                continue;
            };
            let words: Vec<&Word> = match index {
                Some(i) => d.args.get(i).into_iter().collect(),
                None => d.args.iter().filter(|w| w.value.contains(&b':')).collect(),
            };
            for w in words {
                for r in references(&w.value) {
                    let raw = match r.name.as_str() {
                        "ssl_client_raw_cert" => true,
                        "ssl_client_cert" => false,
                        _ => continue,
                    };
                    let header = match index {
                        Some(_) => d.arg(0).unwrap_or_default().into_owned(),
                        None => w
                            .as_str()
                            .split(':')
                            .next()
                            .unwrap_or("")
                            .trim()
                            .to_string(),
                    };
                    let var = &r.name;
                    let form = if raw {
                        "a multi-line PEM"
                    } else {
                        "a multi-line PEM whose continuation lines start with a tab (obsolete line folding; the variable is deprecated)"
                    };
                    let lines = if raw {
                        "bare base64 lines"
                    } else {
                        "tab-indented base64 lines"
                    };
                    let what = match (upstream, setter) {
                        (true, "grpc_set_header") => "a header value with newlines is invalid in HTTP/2: an nginx HTTP/2 backend resets the stream (\"client sent header ... with invalid value\") and the client gets 502".to_string(),
                        (true, _) => format!(
                            "nginx sends it as is, so the request to the backend has \"{header}: -----BEGIN CERTIFICATE-----\" followed by {lines}: an nginx backend answers 400 Bad Request (\"client sent invalid header line\"), others reject or cut it"
                        ),
                        (false, _) => format!(
                            "nginx sends it as is, so the response has \"{header}: -----BEGIN CERTIFICATE-----\" followed by {lines}: HTTP/2 clients fail the response (curl: PROTOCOL_ERROR), HTTP/1.1 clients get a broken header"
                        ),
                    };
                    let help = if upstream {
                        format!(
                            "send the URL-encoded PEM on one line (nginx 1.13.5+) and URL-decode it in the backend: `{setter} {header} $ssl_client_escaped_cert;`; or pass the certificate as a parameter (fastcgi_param, uwsgi_param, scgi_param carry newlines)"
                        )
                    } else {
                        format!(
                            "the client has its own certificate: drop the header, or send `{setter} {header} $ssl_client_escaped_cert;` (URL-encoded, one line)"
                        )
                    };
                    out.push(
                        Finding::new(
                            &INFO,
                            Location::Span(value_span(cx.config, w, r.start, r.end)),
                            format!("{setter} {header} with ${var}: the value is {form}; {what}"),
                        )
                        .label(if raw {
                            "multi-line value"
                        } else {
                            "multi-line value (deprecated variable)"
                        })
                        .help(help),
                    );
                }
            }
        }
    }
}
