//! # MTLS006 directive-not-checked
//!
//! ## What it does
//! Reports, for information, a directive that no module of nginx has, but that a
//! third-party module explains: the configuration loads a module the tool does not know
//! (`load_module`), or the name is one of a well-known module (OpenResty's `lua_*` and
//! `*_by_lua*`, njs `js_*`, headers-more `more_set_headers`, brotli, ModSecurity, VTS,
//! GeoIP2, Passenger, nginx Plus), or it is declared in `.nginx-mtls-lint.toml`:
//! `extra-directives = ["name"]`.
//!
//! ## Why is this bad?
//! It is not bad in itself: it says what the tool could not check. Where it stands,
//! its arguments and values are nginx's module's business. If the module is not
//! loaded, nginx fails with `unknown directive`.
//!
//! ## Example
//! ```nginx
//! location / {
//!     more_set_headers "Server: edge";
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! # .nginx-mtls-lint.toml
//! extra-directives = ["more_set_headers"]
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/ngx_core_module.html#load_module>

use super::rule::{Context, Finding, Rule, RuleInfo};
use super::support::directive_findings;
use crate::config::directives::RefusalKind;

pub struct Rule006;

crate::rule_info!(
    "MTLS006",
    "directive-not-checked",
    Info,
    "mtls006_directive_not_checked.rs"
);

impl Rule for Rule006 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        directive_findings(
            cx,
            &INFO,
            |r| r.kind == RefusalKind::UnknownDirective && r.not_checked,
            out,
        );
    }
}
