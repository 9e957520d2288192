//! # MTLS110 optional-verify-not-enforced
//!
//! ## What it does
//! Reports `ssl_verify_client optional` or `optional_no_ca` in an `http` server where
//! nothing reads `$ssl_client_verify`: no `if`, no `map`, and neither the value nor the
//! client certificate itself (`$ssl_client_escaped_cert`, `$ssl_client_cert`,
//! `$ssl_client_raw_cert`: the documented way to have the backend verify it) is passed
//! upstream (`proxy_set_header`, `fastcgi_param`, `grpc_set_header`, `uwsgi_param`,
//! `scgi_param`).
//!
//! ## Why is this bad?
//! With `optional`, nginx serves requests without a certificate (`NONE`) and, with
//! `optional_no_ca`, requests whose certificate failed some checks (`FAILED:...`). If
//! neither nginx nor the backend looks at the result, client certificates protect nothing.
//!
//! ## Example
//! ```nginx
//! ssl_verify_client optional;
//! location / { proxy_pass http://app; }
//! ```
//!
//! ## Use instead
//! ```nginx
//! ssl_verify_client optional;
//! location / {
//!     if ($ssl_client_verify != SUCCESS) { return 403; }
//!     proxy_pass http://app;
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#var_ssl_client_verify>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::config::Directive;
use crate::model::{Protocol, VerifyMode};

pub struct Rule110;

crate::rule_info!(
    "MTLS110",
    "optional-verify-not-enforced",
    Warning,
    "mtls110_optional_verify_not_enforced.rs"
);

/// Directives through which `$ssl_client_verify` can decide something.
const ENFORCERS: [&str; 9] = [
    "if",
    "proxy_set_header",
    "grpc_set_header",
    "fastcgi_param",
    "uwsgi_param",
    "scgi_param",
    "auth_request_set",
    "set",
    "js_set",
];

/// Variables that carry the client certificate itself.
const DELEGATED: [&str; 3] = [
    "ssl_client_escaped_cert",
    "ssl_client_cert",
    "ssl_client_raw_cert",
];

/// Directives that hand a value to the backend.
const PASSERS: [&str; 5] = [
    "proxy_set_header",
    "grpc_set_header",
    "fastcgi_param",
    "uwsgi_param",
    "scgi_param",
];

/// Whether any argument of the directive names the variable (`$v` or `${v}`).
pub fn uses_var(d: &Directive, var: &str) -> bool {
    let plain = format!("${var}");
    let braced = format!("${{{var}}}");
    d.args.iter().any(|a| {
        let s = a.as_str();
        s.contains(&braced)
            || s.match_indices(&plain).any(|(i, _)| {
                !s[i + plain.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            })
    })
}

impl Rule for Rule110 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        // Variables derived from $ssl_client_verify (or the certificate) by a map.
        let mut derived: Vec<String> = Vec::new();
        for m in &cx.model.maps {
            if m.arg(0).is_some_and(|a| {
                a.contains("ssl_client_verify") || DELEGATED.iter().any(|v| a.contains(v))
            }) && let Some(v) = m.arg(1)
            {
                derived.push(v.trim_start_matches('$').to_string());
            }
        }
        for s in &cx.model.servers {
            // A snippet read alone: what it lacks may be in the server that includes it.
            if s.snippet {
                continue;
            }
            let mode = s.verify_mode();
            if s.protocol != Protocol::Http
                || !matches!(mode, VerifyMode::Optional | VerifyMode::OptionalNoCa)
            {
                continue;
            }
            // Showing the value (return, add_header) enforces nothing: only a condition
            // or handing it to the backend does.
            let enforced = s.inner.iter().any(|d| {
                let name = d.name.as_str();
                ENFORCERS.contains(&name.as_ref())
                    && (uses_var(d, "ssl_client_verify")
                        || derived.iter().any(|v| uses_var(d, v))
                        // The whole certificate handed to the backend, which verifies it.
                        || (PASSERS.contains(&name.as_ref())
                            && DELEGATED.iter().any(|v| uses_var(d, v))))
            });
            if enforced {
                continue;
            }
            let Some(verify) = s.ssl.verify_client else {
                continue;
            };
            let what = if mode == VerifyMode::Optional {
                "requests without a client certificate are served (NONE)"
            } else {
                "requests without a certificate (NONE) or with one from an unknown CA (FAILED:...) are served"
            };
            out.push(
                Finding::new(
                    &INFO,
                    Location::Span(verify.span()),
                    format!(
                        "ssl_verify_client {} in server {} but nothing checks $ssl_client_verify: {what}",
                        mode.as_str(),
                        s.display_name()
                    ),
                )
                .label("result never checked")
                .related(Location::Span(s.block.name.span), "this server")
                .help("check it: `if ($ssl_client_verify != SUCCESS) { return 403; }`, or pass it to the backend with `proxy_set_header X-SSL-Client-Verify $ssl_client_verify;` and check it there; or use `ssl_verify_client on`"),
            );
        }
    }
}
