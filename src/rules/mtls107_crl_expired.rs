//! # MTLS107 crl-expired
//!
//! ## What it does
//! Reports a CRL in `ssl_crl` whose `nextUpdate` has passed or falls within the warning
//! windows (`--warn-days`, default 30, 15 and 7 days), or whose `thisUpdate` is still in
//! the future.
//!
//! ## Why is this bad?
//! `nginx -t` accepts an expired CRL, but from `nextUpdate` on every client certificate
//! whose chain it covers is rejected with `$ssl_client_verify` =
//! `FAILED:CRL has expired` (`FAILED:CRL is not yet valid` before `thisUpdate`). CRLs
//! usually live days, not years: an unattended refresh job that stops is an outage.
//!
//! ## Example
//! ```nginx
//! ssl_crl /etc/nginx/tls/ca.crl;   # nextUpdate was yesterday
//! ```
//!
//! ## Use instead
//! ```nginx
//! ssl_crl /etc/nginx/tls/ca.crl;   # refreshed by a timer: openssl ca -gencrl ... && nginx -s reload
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_crl>

use super::rule::{Context, Finding, Location, Rule, RuleInfo, Severity};
use super::support::{date, days_from};

pub struct Rule107;

crate::rule_info!("MTLS107", "crl-expired", Error, "mtls107_crl_expired.rs");

impl Rule for Rule107 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let now = cx.options.now;
        let window = cx.options.warn_days.iter().copied().max().unwrap_or(0) as i64 * 86_400;
        for s in &cx.model.servers {
            let (Some(setting), true) = (s.ssl.crl, s.mtls()) else {
                continue;
            };
            for crl in cx.files.crls(cx.model, s) {
                let i = &crl.info;
                let (severity, message) = if i.this_update > now {
                    (
                        Severity::Error,
                        format!(
                            "CRL #{} of {} is not valid until {} ({}): clients get FAILED:CRL is not yet valid",
                            crl.origin.index,
                            i.issuer,
                            date(i.this_update),
                            days_from(now, i.this_update)
                        ),
                    )
                } else if let Some(next) = i.next_update {
                    if next <= now {
                        (
                            Severity::Error,
                            format!(
                                "CRL #{} of {} expired on {} ({}): every client certificate it covers is rejected with FAILED:CRL has expired",
                                crl.origin.index,
                                i.issuer,
                                date(next),
                                days_from(now, next)
                            ),
                        )
                    } else if next - now <= window {
                        let days = (next - now) / 86_400;
                        let w = cx
                            .options
                            .warn_days
                            .iter()
                            .copied()
                            .filter(|d| (*d as i64) >= days)
                            .min()
                            .unwrap_or(0);
                        (
                            Severity::Warning,
                            format!(
                                "CRL #{} of {} expires on {} ({}, within {w} days): then clients get FAILED:CRL has expired",
                                crl.origin.index,
                                i.issuer,
                                date(next),
                                days_from(now, next)
                            ),
                        )
                    } else {
                        continue;
                    }
                } else {
                    continue;
                };
                let mut f = Finding::new(&INFO, Location::Span(setting.span()), message)
                    .label("this CRL file")
                    .help("publish a fresh CRL (openssl ca -gencrl -out ca.crl), then nginx -s reload; nginx reads the file only at start and reload");
                f.severity = severity;
                out.push(f);
            }
        }
    }
}
