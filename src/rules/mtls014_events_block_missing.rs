//! # MTLS014 events-block-missing
//!
//! ## What it does
//! Reports a main configuration (one read from its top, not a site file) with no
//! `events {}` block, in the file or in anything it includes at its top level.
//!
//! ## Why is this bad?
//! nginx refuses to start: `nginx -t` fails with `no "events" section in configuration`,
//! naming no file or line. It happens to a site file saved as `nginx.conf` with an `http
//! {}` block around its servers, or to a main configuration whose `include` of the
//! events settings does not match.
//!
//! ## Example
//! ```nginx
//! http {
//!     server { listen 443 ssl; }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! events {}
//! http {
//!     server { listen 443 ssl; }
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/ngx_core_module.html#events>

use super::rule::{Context, Finding, Location, Rule, RuleInfo};

pub struct Rule014;

crate::rule_info!(
    "MTLS014",
    "events-block-missing",
    Error,
    "mtls014_events_block_missing.rs"
);

impl Rule for Rule014 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(main) = cx.config.roots.iter().find(|r| r.context.is_empty()) else {
            return;
        };
        // Nothing to say of a file that could not be read or parsed to the end.
        if cx.config.files[main.file.0 as usize].directives.is_empty()
            || cx.config.syntax_errors().next().is_some()
        {
            return;
        }
        let mut events = false;
        cx.config.walk(&mut |v| {
            if v.parents.is_empty() && v.context.is_empty() && v.directive.is("events") {
                events = true;
            }
        });
        if events {
            return;
        }
        let message = "no \"events\" section in configuration";
        // nginx names no line: the finding stands at the file's first directive.
        let first = &cx.config.files[main.file.0 as usize].directives[0];
        out.push(
            Finding::new(
                &INFO,
                Location::Span(first.name.span),
                format!("{message} (nginx names no file or line)"),
            )
            .label("the main configuration starts here")
            .refused(message)
            .help("add `events {}` at the top level of the main configuration (nginx's defaults are fine: `events { worker_connections 1024; }`)"),
        );
    }
}
