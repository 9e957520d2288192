//! # MTLS004 unused-suppression
//!
//! ## What it does
//! Reports an inline suppression comment (`# nginx-mtls-lint: ignore MTLS104 -- reason`)
//! that suppresses nothing, or that names no rule.
//!
//! ## Why is this bad?
//! A suppression outlives the problem it hid: once the configuration is fixed, the stale
//! comment would silently hide the next, different problem on that line.
//!
//! ## Example
//! ```nginx
//! # nginx-mtls-lint: ignore MTLS104 -- the CA file was fixed long ago
//! ssl_client_certificate /etc/nginx/tls/client-ca.pem;
//! ```
//!
//! ## Use instead
//! ```nginx
//! ssl_client_certificate /etc/nginx/tls/client-ca.pem;
//! ```
//!
//! A suppression applies to findings on its own line (a trailing comment) or on the
//! line after it (a comment alone on its line). Name one or more codes, separated by
//! commas or spaces, and give the reason after `--`.
//!
//! ## References
//! - README, "Suppressing findings"

use super::rule::{Context, Finding, Rule, RuleInfo};

pub struct Rule004;

crate::rule_info!(
    "MTLS004",
    "unused-suppression",
    Warning,
    "mtls004_unused_suppression.rs"
);

/// The rule's information, for the suppression pass that reports it.
pub fn info() -> &'static RuleInfo {
    &INFO
}

impl Rule for Rule004 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    /// Reported by [`super::suppress`], which sees every other finding.
    fn check(&self, _cx: &Context<'_>, _out: &mut Vec<Finding>) {}
}
