//! # MTLS201 ca-certificate-expiring
//!
//! ## What it does
//! Reports CA certificates in `ssl_client_certificate` / `ssl_trusted_certificate` that
//! have expired, are not yet valid, or expire within the warning windows (`--warn-days`,
//! default 30, 15 and 7 days), with the exact date.
//!
//! ## Why is this bad?
//! `nginx -t` accepts an expired CA. From the moment it expires, every client certificate
//! issued under it is rejected with `$ssl_client_verify` =
//! `FAILED:certificate has expired`, and the 400 page says only
//! `The SSL certificate error`.
//!
//! ## Example
//! ```nginx
//! ssl_client_certificate /etc/nginx/tls/client-ca.pem;   # notAfter next week
//! ```
//!
//! ## Use instead
//! ```nginx
//! # old and new CA side by side while clients move to the new one
//! ssl_client_certificate /etc/nginx/tls/client-ca-old-and-new.pem;
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_client_certificate>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};

pub struct Rule201;

crate::rule_info!(
    "MTLS201",
    "ca-certificate-expiring",
    Error,
    "mtls201_ca_certificate_expiring.rs"
);

impl Rule for Rule201 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for s in &cx.model.servers {
            if !s.mtls() {
                continue;
            }
            for (setting, bundle) in cx.files.ca_bundles(cx.model, s) {
                for c in &bundle.certificates {
                    if !c.info.is_ca() {
                        continue;
                    }
                    let Some((severity, when)) = cx.options.validity_of(&c.info) else {
                        continue;
                    };
                    let effect = if c.info.not_before > cx.options.now {
                        "FAILED:certificate is not yet valid"
                    } else {
                        "FAILED:certificate has expired"
                    };
                    let mut f = Finding::new(
                        &INFO,
                        Location::Span(setting.span()),
                        format!(
                            "CA {} ({}) {when}: client certificates issued under it {} {effect}",
                            c.info.subject,
                            c.location(),
                            if severity == super::rule::Severity::Error { "are rejected with" } else { "will then be rejected with" }
                        ),
                    )
                    .label("CA file")
                    .help("issue a new CA (or renew this one with the same key), put old and new CA in the file together while client certificates are re-issued, then reload nginx");
                    f.severity = severity;
                    out.push(f);
                }
            }
        }
    }
}
