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

pub struct Rule013;

crate::rule_info!("MTLS013", "template-file", Info, "mtls013_template_file.rs");

/// The kind of template a file's text looks like, if any.
pub fn template_kind(src: &[u8]) -> Option<&'static str> {
    let has = |needle: &[u8]| src.windows(needle.len()).any(|w| w == needle);
    if has(b"{{") && has(b"}}") {
        return Some("Jinja/Go template ({{ ... }})");
    }
    if has(b"{%") && has(b"%}") {
        return Some("Jinja template ({% ... %})");
    }
    if has(b"<%") && has(b"%>") {
        return Some("ERB/EPP template (<% ... %>)");
    }
    // envsubst: `${NAME}` with a capital-letter name (nginx's own variables are
    // lower case).
    let mut i = 0;
    while let Some(p) = src[i..].windows(2).position(|w| w == b"${") {
        let start = i + p + 2;
        let name: Vec<u8> = src[start..]
            .iter()
            .copied()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.')
            .collect();
        let closed = src.get(start + name.len()) == Some(&b'}');
        if closed
            && name.len() >= 2
            && name.first().is_some_and(u8::is_ascii_uppercase)
            && name.iter().all(|b| !b.is_ascii_lowercase())
        {
            return Some("envsubst template (${NAME})");
        }
        // `${web.login.port}` (Zimbra's templates): no nginx variable has a dot.
        if closed && name.contains(&b'.') {
            return Some("template (${name.with.dots})");
        }
        i = start;
    }
    None
}

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
                        "this file looks like a {kind}, not nginx configuration: placeholders are not nginx syntax{}; values that are placeholders are not checked, the rest is",
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
