//! # MTLS003 include-cycle
//!
//! ## What it does
//! Reports `include` directives that lead back to a file that includes them, and include
//! chains nested too deep to follow.
//!
//! ## Why is this bad?
//! nginx has no cycle detection: it reads the files again and again until it runs out of
//! open files or memory, and fails to start.
//!
//! ## Example
//! ```nginx
//! # conf.d/a.conf
//! include conf.d/*.conf;   # matches a.conf itself
//! ```
//!
//! ## Use instead
//! ```nginx
//! # include the snippets from the main configuration only, with a pattern that does
//! # not match the including file
//! include conf.d/sites/*.conf;
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/ngx_core_module.html#include>

use super::rule::{Context, Finding, Location, Rule, RuleInfo, Severity};
use crate::config::LoadErrorKind;

pub struct IncludeCycle;

static INFO: RuleInfo = RuleInfo {
    code: "MTLS003",
    name: "include-cycle",
    severity: Severity::Error,
    source: include_str!("mtls003_include_cycle.rs"),
};

impl Rule for IncludeCycle {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for e in &cx.config.errors {
            if !matches!(e.kind, LoadErrorKind::Cycle | LoadErrorKind::TooDeep) {
                continue;
            }
            if let Some(span) = e.span {
                out.push(
                    Finding::new(&INFO, Location::Span(span), e.message.clone())
                        // Measured with nginx 1.22.1: it follows the includes until its
                        // stack overflows, and prints nothing.
                        .refused("(nothing: nginx -t crashes with a segmentation fault, following the includes round)")
                        .label("this include leads back to an including file")
                        .help("narrow the include pattern so that no file includes itself or an ancestor"),
                );
            }
        }
    }
}
