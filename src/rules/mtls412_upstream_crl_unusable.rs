//! # MTLS412 upstream-crl-unusable
//!
//! ## What it does
//! With `proxy_ssl_verify on` and `proxy_ssl_crl` (and the other modules'), reports a CRL
//! whose `nextUpdate` has passed and each CA of the trusted file without a CRL in it.
//!
//! ## Why is this bad?
//! nginx checks every certificate of the backend's chain against a CRL
//! (`X509_V_FLAG_CRL_CHECK_ALL`): an expired CRL gives `upstream SSL certificate verify
//! error: (12:CRL has expired)`, a CA without one `(3:unable to get certificate CRL)`,
//! and the client gets 502 Bad Gateway. `nginx -t` accepts both.
//!
//! ## Example
//! ```nginx
//! proxy_ssl_verify on;
//! proxy_ssl_trusted_certificate backend-root-int.pem;
//! proxy_ssl_crl backend-int.crl;                 # no CRL of the root
//! ```
//!
//! ## Use instead
//! ```nginx
//! # cat backend-int.crl backend-root.crl > backend-crls.pem
//! proxy_ssl_crl backend-crls.pem;
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_ssl_crl>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use super::support::{crl_for, pass_related, tls_upstreams};

pub struct Rule412;

crate::rule_info!(
    "MTLS412",
    "upstream-crl-unusable",
    Error,
    "mtls412_upstream_crl_unusable.rs"
);

impl Rule for Rule412 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let mut seen = std::collections::HashSet::new();
        for u in tls_upstreams(cx.model) {
            let Some(setting) = u.ssl.crl else { continue };
            if !u.verifies() || seen.contains(&setting.span()) {
                continue;
            }
            seen.insert(setting.span());
            if cx.files.bundle(cx.model, Some(setting)).is_none() {
                continue;
            }
            let crls = cx.files.upstream_crls(cx.model, u);
            let (at, rel) = pass_related(u);
            for crl in &crls {
                if let Some(next) = crl.info.next_update
                    && next < cx.options.now
                {
                    out.push(
                        Finding::new(
                            &INFO,
                            Location::Span(setting.span()),
                            format!(
                                "the CRL of {} expired (nextUpdate {}): nginx refuses every backend whose chain it covers with (12:CRL has expired), and the client gets 502",
                                crl.info.issuer,
                                crl.info.next_update_rfc3339.clone().unwrap_or_else(|| next.to_string())
                            ),
                        )
                        .label("expired CRL")
                        .related(at.clone(), rel.clone())
                        .help("fetch or issue a current CRL from that CA (openssl ca -gencrl) and reload nginx"),
                    );
                }
            }
            let openssl = cx.model.openssl;
            for ca in cx.files.upstream_store(cx.model, u) {
                if !ca.info.is_ca() || crls.iter().any(|crl| crl_for(crl, ca)) {
                    continue;
                }
                out.push(
                    Finding::new(
                        &INFO,
                        Location::Span(setting.span()),
                        format!(
                            "no CRL for CA {} ({}): backend chains through it are refused with (3:unable to get certificate CRL) and the client gets 502",
                            ca.info.subject,
                            ca.location()
                        ),
                    )
                    .label("CRL file without that CA's CRL")
                    .related(at.clone(), rel.clone())
                    .help(format!("add that CA's CRL to the file; OpenSSL {openssl} needs one from every CA in the chain, the root included")),
                );
            }
        }
    }
}
