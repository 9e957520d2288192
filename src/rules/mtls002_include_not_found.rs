//! # MTLS002 include-not-found
//!
//! ## What it does
//! Reports an `include` of a plain path (no `*`, `?` or `[`) that cannot be read, and a
//! main configuration or site file that cannot be read.
//!
//! ## Why is this bad?
//! nginx fails with `open() "/etc/nginx/snippets/mtls.conf" failed (2: No such file or
//! directory)`. A glob that matches nothing is fine for nginx, a plain path is not.
//!
//! ## Example
//! ```nginx
//! include snippets/mtls.conf;   # the file does not exist
//! ```
//!
//! ## Use instead
//! ```nginx
//! include snippets/mtls*.conf;  # or create the file, or fix the path
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/ngx_core_module.html#include>

use super::rule::{Context, Finding, Location, Rule, RuleInfo, Severity};
use crate::config::LoadErrorKind;

pub struct IncludeNotFound;

static INFO: RuleInfo = RuleInfo {
    code: "MTLS002",
    name: "include-not-found",
    severity: Severity::Error,
    source: include_str!("mtls002_include_not_found.rs"),
};

impl Rule for IncludeNotFound {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for e in &cx.config.errors {
            if !matches!(e.kind, LoadErrorKind::Include | LoadErrorKind::Input) {
                continue;
            }
            let location = match e.span {
                Some(s) => Location::Span(s),
                None => Location::File(e.path.clone()),
            };
            out.push(
                Finding::new(&INFO, location, e.message.clone())
                    .refused(e.message.clone())
                    .label("this include")
                    .help(format!(
                        "relative include paths are resolved against the configuration prefix \"{}\" (set it with --prefix)",
                        cx.config.prefix.display()
                    )),
            );
        }
    }
}
