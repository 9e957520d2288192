//! # MTLS301 client-certificate-rejected
//!
//! ## What it does
//! Runs `verify` for every client certificate given with `--client-cert` against every
//! server that requests client certificates, reaching each server by its own name, and
//! reports each server that would reject it (nginx status 495 or 496, which the client
//! sees as `400 Bad Request` unless `error_page` changes it). When the handshake lets
//! the certificate through, it follows the request `GET /` as `verify --path /` does
//! (the location, `if` on `$ssl_client_*` and the `map`s they read, `return`, `deny`,
//! `error_page`) and reports a server that answers it with an error, naming the
//! directive that decided and how to get through (the `map` entry to add, the
//! condition that refuses it on purpose).
//!
//! ## Why is this bad?
//! The handshake succeeds, so the client only sees a bare 400 and nginx logs the reason
//! at `info` level, which most setups do not keep. The finding says what nginx would put
//! in `$ssl_client_verify` and in error.log, and what to change.
//!
//! ## Example
//! ```nginx
//! # nginx-mtls-lint nginx.conf --client-cert partner.crt
//! # partner.crt was issued by "Partner CA", which is not in ca.pem
//! ssl_verify_client on;
//! ssl_client_certificate ca.pem;
//! ```
//!
//! ## Use instead
//! ```nginx
//! ssl_verify_client on;
//! ssl_client_certificate ca-and-partner-ca.pem;  # cat ca.pem partner-root.crt > ...
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_verify_client>
//! - docs/nginx-behaviour.md, facts 1 to 8 (what nginx does, measured)
//! - docs/verify.md (the `verify` subcommand, which explains one certificate in full)

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::model::VerifyMode;
use crate::verify::explain::request_fixes;
use crate::verify::predict::{Verified, tolerated_by_optional_no_ca, verify_with_server};
use crate::verify::request::{ClientVars, HttpRequest, evaluate};

pub struct Rule301;

crate::rule_info!(
    "MTLS301",
    "client-certificate-rejected",
    Error,
    "mtls301_client_certificate_rejected.rs"
);

impl Rule for Rule301 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for client in cx.client_certs {
            for s in &cx.model.servers {
                if !s.mtls() || !s.tls_listener() {
                    continue;
                }
                // Without a CA file nginx does not start (MTLS101 says so).
                if s.verify_mode() != VerifyMode::OptionalNoCa && s.ssl.client_certificate.is_none()
                {
                    continue;
                }
                let Ok(Verified { result, .. }) =
                    verify_with_server(cx.model, cx.files, s, &client.chain, cx.options.now)
                else {
                    continue;
                };
                let Some(v) = s.ssl.verify_client else {
                    continue;
                };
                let mode = s.verify_mode();
                let passes = match result.final_error() {
                    None => true,
                    Some(last) => {
                        mode == VerifyMode::OptionalNoCa
                            && tolerated_by_optional_no_ca(last.code.code())
                    }
                };
                if passes {
                    // The handshake lets it through: does the request (GET /) get served?
                    let vars = ClientVars::of(Some(&client.chain), result.nginx_verify_value());
                    let host = s.names.first().cloned().unwrap_or_default();
                    let o = evaluate(cx.model, s, &HttpRequest::default(), &vars, &host);
                    if let (Some(code), Some(by)) = (o.status, &o.decided_by)
                        && code >= 400
                    {
                        out.push(
                            Finding::new(
                                &INFO,
                                Location::Span(v.span()),
                                format!(
                                    "server {} verifies the client certificate {} ({}, $ssl_client_verify {}), but the request GET / is answered {code} by {by}",
                                    s.display_name(),
                                    client.path.display(),
                                    client.chain.leaf.info.subject,
                                    vars.verify
                                ),
                            )
                            .label(format!("verifies {}, then {code}", client.chain.leaf.info.subject))
                            .related(Location::File(client.path.clone()), "client certificate")
                            .help({
                                let mut fixes = Vec::new();
                                let send = format!("curl -v --cert {} https://{host}/", client.path.display());
                                request_fixes(&mut fixes, &o, &vars, true, &send, "");
                                fixes.into_iter().next().unwrap_or_else(|| format!("run `nginx-mtls-lint verify --config ... --cert {} --path /` for the full explanation", client.path.display()))
                            }),
                        );
                    }
                    continue;
                }
                let Some(last) = result.final_error() else {
                    continue;
                };
                let help = crate::verify::predict::first_fix(cx.model, cx.files, s, client, cx.options.now)
                    .unwrap_or_else(|| format!("run `nginx-mtls-lint verify --config ... --cert {}` for the full explanation", client.path.display()));
                out.push(
                    Finding::new(
                        &INFO,
                        Location::Span(v.span()),
                        format!(
                            "server {} rejects the client certificate {} ({}): $ssl_client_verify would be {}, nginx answers 400 (495) and logs \"client SSL certificate verify error: ({}:{})\"",
                            s.display_name(),
                            client.path.display(),
                            client.chain.leaf.info.subject,
                            result.nginx_verify_value(),
                            last.code.code(),
                            last.code.text(cx.model.openssl)
                        ),
                    )
                    .label(format!("rejects {}", client.chain.leaf.info.subject))
                    .related(Location::File(client.path.clone()), "client certificate")
                    .help(help),
                );
            }
        }
    }
}
