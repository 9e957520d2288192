//! # MTLS012 site-not-loaded
//!
//! ## What it does
//! Reports a site file, linted on its own, that the main configuration of its nginx
//! tree (a `nginx.conf` in its directory or up to two directories above) does not
//! include: typically a file in `sites-available/` with no link in `sites-enabled/`, or
//! a `conf.d/` file whose name the `include` pattern does not match (`conf.d/*.conf`
//! and `api.conf.disabled`).
//!
//! ## Why is this bad?
//! nginx never reads the file: whatever it says, the running server does not do. The
//! file is still checked as if it were included in `http {}`, so its problems are
//! found before it is enabled.
//!
//! ## Example
//! ```text
//! /etc/nginx/nginx.conf:          include /etc/nginx/sites-enabled/*;
//! /etc/nginx/sites-available/api  (no link in sites-enabled/)
//! ```
//!
//! ## Use instead
//! ```sh
//! ln -s /etc/nginx/sites-available/api /etc/nginx/sites-enabled/api
//! nginx -t && nginx -s reload
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/ngx_core_module.html#include>
//! - Debian's nginx package: `/usr/share/doc/nginx-common/README.Debian`

use super::rule::{Context, Finding, Location, Rule, RuleInfo};

pub struct Rule012;

crate::rule_info!(
    "MTLS012",
    "site-not-loaded",
    Warning,
    "mtls012_site_not_loaded.rs"
);

impl Rule for Rule012 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(main) = &cx.config.not_loaded_by else {
            return;
        };
        let Some(root) = cx.config.roots.first() else {
            return;
        };
        let path = cx.config.sources.path(root.file).to_path_buf();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = path
            .parent()
            .and_then(|d| d.file_name())
            .map(|d| d.to_string_lossy().into_owned());
        let help = match dir.as_deref() {
            Some("sites-available") => format!(
                "enable it with a link in sites-enabled/ (`ln -s ../sites-available/{name} sites-enabled/{name}` in the directory of {}), then `nginx -t && nginx -s reload`",
                main.display()
            ),
            _ => format!(
                "include it from {} (or name it so that an existing include pattern matches), then `nginx -t && nginx -s reload`",
                main.display()
            ),
        };
        out.push(
            Finding::new(
                &INFO,
                Location::File(path.clone()),
                format!(
                    "nginx does not load this file: no include of {} reaches it; it was checked as if included in {} {{}}",
                    main.display(),
                    root.context.join(" { ")
                ),
            )
            .help(help),
        );
    }
}
