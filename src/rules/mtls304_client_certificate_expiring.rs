//! # MTLS304 client-certificate-expiring
//!
//! ## What it does
//! Reports a `--client-cert` (or an intermediate it sends) that has expired, is not yet
//! valid, or expires within the warning windows (`--warn-days`, default 30, 15, 7 days).
//!
//! ## Why is this bad?
//! nginx rejects an expired client certificate with `FAILED:certificate has expired`
//! (status 495, seen as 400) in every `ssl_verify_client` mode, `optional_no_ca`
//! included, and whatever else is wrong with it (the last error wins).
//!
//! ## Example
//! ```nginx
//! # nginx-mtls-lint nginx.conf --client-cert client.crt   # notAfter in 10 days
//! ssl_verify_client on;
//! ```
//!
//! ## Use instead
//! ```nginx
//! # nginx-mtls-lint nginx.conf --client-cert client-renewed.crt
//! ssl_verify_client on;
//! ```
//!
//! ## References
//! - docs/nginx-behaviour.md, facts 2 and 4 (expiry beats every other error, measured)
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#var_ssl_client_v_remain>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};

pub struct Rule304;

crate::rule_info!(
    "MTLS304",
    "client-certificate-expiring",
    Error,
    "mtls304_client_certificate_expiring.rs"
);

impl Rule for Rule304 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for client in cx.client_certs {
            let certs =
                std::iter::once(&client.chain.leaf).chain(client.chain.intermediates.iter());
            for (i, c) in certs.enumerate() {
                let Some((severity, when)) = cx.options.validity_of(&c.info) else {
                    continue;
                };
                let what = if i == 0 {
                    "client certificate"
                } else {
                    "intermediate sent with the client certificate"
                };
                let mut f = Finding::new(
                    &INFO,
                    Location::File(client.path.clone()),
                    format!("{what} {} in {} {when}", c.info.subject, client.path.display()),
                )
                .help(if i == 0 {
                    "re-issue the client certificate: openssl x509 -req -in client.csr -CA intermediate.crt -CAkey intermediate.key -days 365 -extfile <(printf 'extendedKeyUsage = clientAuth') -out client.crt"
                } else {
                    "renew the intermediate CA certificate and send the new one: cat client.crt intermediate-renewed.crt > client-chain.pem"
                });
                f.severity = severity;
                out.push(f);
            }
        }
    }
}
