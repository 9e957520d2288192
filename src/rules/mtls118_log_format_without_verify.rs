//! # MTLS118 log-format-without-verify
//!
//! ## What it does
//! Reports an access log of a mutual-TLS `http` server whose `log_format` does not
//! record `$ssl_client_verify` (including nginx's default `combined`).
//!
//! ## Why is this bad?
//! When clients start failing, the access log shows only `400`: not whether the
//! certificate was missing (`NONE`) or why it failed (`FAILED:certificate has expired`).
//! The error log says why only at `info` level, which nginx does not write by default.
//!
//! ## Example
//! ```nginx
//! access_log /var/log/nginx/access.log;   # combined
//! ```
//!
//! ## Use instead
//! ```nginx
//! log_format mtls '$remote_addr [$time_local] "$request" $status '
//!                 '$ssl_client_verify "$ssl_client_s_dn" $ssl_client_serial';
//! access_log /var/log/nginx/access.log mtls;
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_log_module.html#log_format>
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#var_ssl_client_verify>

use super::mtls110_optional_verify_not_enforced::uses_var;
use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::model::Protocol;

pub struct Rule118;

crate::rule_info!(
    "MTLS118",
    "log-format-without-verify",
    Info,
    "mtls118_log_format_without_verify.rs"
);

const SUGGESTED: &str = "log_format mtls '$remote_addr [$time_local] \"$request\" $status $ssl_client_verify \"$ssl_client_s_dn\" $ssl_client_serial';";

impl Rule for Rule118 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        // Site files read alone: the http {} they are included in, with its access_log
        // and log_format lines, was not seen, so nothing is said of what it holds.
        let main_seen = cx.config.roots.iter().any(|r| r.context.is_empty());
        for s in &cx.model.servers {
            // A snippet read alone: what it lacks may be in the server that includes it.
            if s.snippet {
                continue;
            }
            if s.protocol != Protocol::Http || !s.mtls() {
                continue;
            }
            if s.access_logs.is_empty() && main_seen {
                out.push(
                    Finding::new(
                        &INFO,
                        Location::Span(s.block.name.span),
                        format!(
                            "mutual-TLS server {} has no access_log: nginx writes its default access log (logs/access.log under its prefix; /var/log/nginx/access.log in the Debian and nginx.org packages) in the \"combined\" format, which does not record $ssl_client_verify",
                            s.display_name()
                        ),
                    )
                    .label("default access log")
                    .help(format!("{SUGGESTED} then `access_log /var/log/nginx/access.log mtls;`")),
                );
            }
            for log in &s.access_logs {
                let d = log.directive;
                if d.arg(0).as_deref() == Some("off") {
                    continue;
                }
                let format = d
                    .arg(1)
                    .map(|f| f.into_owned())
                    .unwrap_or_else(|| "combined".into());
                let records = match cx.model.log_formats.get(&format) {
                    Some(lf) => uses_var(lf, "ssl_client_verify"),
                    // Defined in a configuration not seen (or nowhere: nginx -t fails
                    // with `unknown log format`): not this rule's to say.
                    None if format != "combined" => continue,
                    None => false,
                };
                if records {
                    continue;
                }
                out.push(
                    Finding::new(
                        &INFO,
                        Location::Span(d.span),
                        format!(
                            "the access log of mutual-TLS server {} uses log_format \"{format}\", which does not record $ssl_client_verify",
                            s.display_name()
                        ),
                    )
                    .label("no $ssl_client_verify")
                    .related(Location::Span(s.block.name.span), "this mutual-TLS server")
                    .help(format!("{SUGGESTED} then `access_log {} mtls;`", d.arg(0).unwrap_or_default())),
                );
            }
        }
    }
}
