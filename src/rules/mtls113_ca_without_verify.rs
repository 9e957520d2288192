//! # MTLS113 ca-without-verify
//!
//! ## What it does
//! Reports `ssl_client_certificate` in a server where `ssl_verify_client` is `off` or
//! absent, and says whether that file would even load.
//!
//! ## Why is this bad?
//! Without `ssl_verify_client`, nginx never reads the CA file and never asks for a client
//! certificate: the directive suggests mutual TLS that is not there. If the file is
//! missing or broken, nothing shows it until the day someone turns verification on and
//! nginx refuses to start.
//!
//! ## Example
//! ```nginx
//! ssl_client_certificate /etc/nginx/tls/client-ca.pem;
//! ```
//!
//! ## Use instead
//! ```nginx
//! ssl_client_certificate /etc/nginx/tls/client-ca.pem;
//! ssl_verify_client      on;
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_verify_client>

use super::rule::{Context, Finding, Location, Rule, RuleInfo, Severity};
use crate::model::VerifyMode;

pub struct Rule113;

crate::rule_info!(
    "MTLS113",
    "ca-without-verify",
    Info,
    "mtls113_ca_without_verify.rs"
);

impl Rule for Rule113 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for s in &cx.model.servers {
            // A snippet read alone: what it lacks may be in the server that includes it.
            if s.snippet {
                continue;
            }
            let Some(ca) = s.ssl.client_certificate else {
                continue;
            };
            if s.mtls() || !s.ssl_configured() {
                continue;
            }
            // An http-level CA file for servers that opt in is normal; report it only
            // where it is set in this server.
            if ca.inherited {
                continue;
            }
            // A value nginx refuses (`require`) is MTLS009's: the server is not "off".
            if s.ssl
                .verify_client
                .is_some_and(|v| VerifyMode::parse(&v.value()).is_none())
            {
                continue;
            }
            let broken = match cx.files.get(&cx.model.path(&ca)) {
                Some(Err(e)) => Some(e.to_string()),
                _ => None,
            };
            let off = match s.ssl.verify_client {
                Some(v) => format!(
                    "ssl_verify_client is off ({})",
                    cx.config.sources.location(v.span())
                ),
                None => "there is no ssl_verify_client".to_string(),
            };
            let mut f = Finding::new(
                &INFO,
                Location::Span(ca.span()),
                match &broken {
                    Some(e) => format!(
                        "ssl_client_certificate does nothing because {off}, and the file would not load ({e}): nginx will fail to start the day verification is turned on"
                    ),
                    None => format!("ssl_client_certificate does nothing because {off}: no client certificate is requested"),
                },
            )
            .label("not used")
            .help("add `ssl_verify_client on;` (or `optional` with a check of $ssl_client_verify), or remove ssl_client_certificate");
            if broken.is_some() {
                f.severity = Severity::Warning;
            }
            out.push(f);
        }
    }
}
