//! # MTLS302 client-certificate-unverified
//!
//! ## What it does
//! Reports a server with `ssl_verify_client optional_no_ca` (or `optional`) that lets a
//! `--client-cert` through although its verification fails, so that the request is
//! served with `$ssl_client_verify` = `FAILED:...`.
//!
//! ## Why is this bad?
//! `optional_no_ca` tolerates errors 18, 19, 20, 21 and 27 (unknown or self-signed
//! issuers): nginx serves the request and only `$ssl_client_verify` tells. An application
//! that looks at `$ssl_client_s_dn` alone accepts anyone who made a certificate with the
//! right subject.
//!
//! ## Example
//! ```nginx
//! ssl_verify_client optional_no_ca;
//! proxy_set_header X-Client-DN $ssl_client_s_dn;
//! ```
//!
//! ## Use instead
//! ```nginx
//! ssl_verify_client optional_no_ca;
//! proxy_set_header X-Client-DN $ssl_client_s_dn;
//! proxy_set_header X-Client-Verify $ssl_client_verify;  # and check it is SUCCESS
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_verify_client>
//! - docs/nginx-behaviour.md, fact 4 and §2 (what optional_no_ca tolerates)

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::model::VerifyMode;
use crate::verify::predict::{Verified, tolerated_by_optional_no_ca, verify_with_server};

pub struct Rule302;

crate::rule_info!(
    "MTLS302",
    "client-certificate-unverified",
    Warning,
    "mtls302_client_certificate_unverified.rs"
);

impl Rule for Rule302 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for client in cx.client_certs {
            for s in &cx.model.servers {
                if s.verify_mode() != VerifyMode::OptionalNoCa || !s.tls_listener() {
                    continue;
                }
                let Ok(Verified { result, .. }) =
                    verify_with_server(cx.model, cx.files, s, &client.chain, cx.options.now)
                else {
                    continue;
                };
                let Some(last) = result.final_error() else {
                    continue;
                };
                if !tolerated_by_optional_no_ca(last.code.code()) {
                    continue;
                }
                let Some(v) = s.ssl.verify_client else {
                    continue;
                };
                out.push(
                    Finding::new(
                        &INFO,
                        Location::Span(v.span()),
                        format!(
                            "server {} serves the client certificate {} ({}) although it does not verify: $ssl_client_verify would be {}",
                            s.display_name(),
                            client.path.display(),
                            client.chain.leaf.info.subject,
                            result.nginx_verify_value()
                        ),
                    )
                    .label("passes unverified certificates")
                    .related(Location::File(client.path.clone()), "client certificate")
                    .help("check `$ssl_client_verify = SUCCESS` before trusting $ssl_client_s_dn (pass it to the application, or `if ($ssl_client_verify != SUCCESS) { return 403; }`), or use `ssl_verify_client on;`"),
                );
            }
        }
    }
}
