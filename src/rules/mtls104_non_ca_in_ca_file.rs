//! # MTLS104 non-ca-in-ca-file
//!
//! ## What it does
//! Reports a certificate in `ssl_client_certificate` or `ssl_trusted_certificate` that is
//! not a CA: no `basicConstraints CA:TRUE`, or a `keyUsage` without `keyCertSign`.
//!
//! ## Why is this bad?
//! Putting the client's own certificate (or the server certificate) into the CA file is a
//! common mistake; `nginx -t` accepts it. OpenSSL does not trust partial chains, so such a
//! certificate anchors nothing, and clients whose chain passes through a non-CA fail with
//! `FAILED:invalid CA certificate` or `FAILED:unsuitable certificate purpose`.
//!
//! ## Example
//! ```nginx
//! ssl_client_certificate /etc/nginx/tls/client.crt;   # a leaf certificate
//! ```
//!
//! ## Use instead
//! ```nginx
//! ssl_client_certificate /etc/nginx/tls/client-ca.pem;   # the CA that issued client.crt
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_client_certificate>
//! - RFC 5280 section 4.2.1.9 (basicConstraints), 4.2.1.3 (keyUsage)

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::certs::info::ku;

pub struct Rule104;

crate::rule_info!(
    "MTLS104",
    "non-ca-in-ca-file",
    Error,
    "mtls104_non_ca_in_ca_file.rs"
);

impl Rule for Rule104 {
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
                    let why = if !c.info.is_ca() {
                        "has no basicConstraints CA:TRUE"
                    } else if c.info.key_usage.is_some_and(|k| k & ku::KEY_CERT_SIGN == 0) {
                        "has a keyUsage without keyCertSign"
                    } else {
                        continue;
                    };
                    out.push(
                        Finding::new(
                            &INFO,
                            Location::Span(setting.span()),
                            format!(
                                "certificate #{} in {} ({}) {why}: it is not a CA and anchors no client chain",
                                c.origin.index,
                                bundle.path.display(),
                                c.info.subject
                            ),
                        )
                        .label("CA file with a non-CA certificate")
                        .help(format!(
                            "replace it with the CA that issued it ({}); a leaf in the CA file never makes that leaf trusted",
                            c.info.issuer
                        )),
                    );
                }
            }
        }
    }
}
