//! # MTLS013 template-file
//!
//! ## What it does
//! Says, once per file, that a configuration file looks like a template rather than
//! nginx configuration: Jinja/Ansible or Go/Helm placeholders (`{{ ... }}`, `{% ... %}`),
//! ERB/EPP (`<% ... %>`), envsubst placeholders in capitals (`${NGINX_HOST}`, as the
//! official Docker image's `/etc/nginx/templates/*.template` use), or dotted ones
//! (`${web.login.port}`).
//!
//! ## Why is this bad?
//! It is not bad: it says what can be checked. nginx never reads the template itself
//! but what the templating tool writes. Placeholders are not nginx syntax: the parser
//! reports errors around them (MTLS001, listed for the first few only), directives whose
//! values are placeholders cannot be judged (certificate paths such as
//! `${CERT_PATH}` are not read), and everything outside the placeholders is checked as
//! written. To check what nginx will load, render the template and lint the result.
//!
//! ## Example
//! ```nginx
//! server {
//!     listen {{ port }} ssl;
//!     ssl_client_certificate {{ ca_file }};
//! }
//! ```
//!
//! ## Use instead
//! ```sh
//! j2 site.conf.j2 vars.yml > site.conf      # or: envsubst < site.template > site.conf
//! nginx-mtls-lint site.conf
//! ```
//!
//! ## References
//! - <https://hub.docker.com/_/nginx> ("Using environment variables in nginx configuration")

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::config::template::template_kind;

pub struct Rule013;

crate::rule_info!("MTLS013", "template-file", Info, "mtls013_template_file.rs");

impl Rule for Rule013 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (id, file) in cx.config.sources.iter() {
            let Some(kind) = template_kind(&file.src) else {
                continue;
            };
            let errors = cx.config.files[id.0 as usize].errors.len();
            out.push(
                Finding::new(
                    &INFO,
                    Location::File(file.path.clone()),
                    format!(
                        "this file looks like {kind}, not nginx configuration: placeholders are not nginx syntax{}; values that are placeholders are not checked, the rest is",
                        if errors > 0 {
                            format!(" ({errors} syntax error{} around them)", if errors == 1 { "" } else { "s" })
                        } else {
                            String::new()
                        }
                    ),
                )
                .help("render the template (j2, helm template, envsubst ...) and lint what it writes: that is what nginx reads"),
            );
        }
    }
}
