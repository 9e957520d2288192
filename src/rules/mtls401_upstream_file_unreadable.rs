//! # MTLS401 upstream-file-unreadable
//!
//! ## What it does
//! Where nginx connects to a backend with TLS (`proxy_pass https://`, `grpc_pass
//! grpcs://`, `uwsgi_pass suwsgi://`, stream `proxy_ssl on`, or a pass with variables),
//! reports a `proxy_ssl_certificate` (`grpc_ssl_*`, `uwsgi_ssl_*`) that is missing,
//! unreadable or holds no certificate, a key file that is missing or holds no key, a
//! certificate without a key, and, with `proxy_ssl_verify on`, a trusted CA file or CRL
//! file nginx cannot load. A certificate named with variables (nginx 1.21.0+) is loaded
//! per request and not checked (reported as information).
//!
//! ## Why is this bad?
//! nginx refuses to start: `cannot load certificate "..."`, `no "proxy_ssl_certificate_key"
//! is defined for certificate "..."`, `SSL_CTX_load_verify_locations(...) failed`. nginx
//! reads these files only where a pass uses TLS, so the same directives in a location
//! that proxies over plain HTTP pass `nginx -t` until someone changes the scheme.
//!
//! ## Example
//! ```nginx
//! location / {
//!     proxy_pass https://backend;
//!     proxy_ssl_certificate     /etc/nginx/client/nginx.crt;   # not there
//!     proxy_ssl_certificate_key /etc/nginx/client/nginx.key;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! location / {
//!     proxy_pass https://backend;
//!     proxy_ssl_certificate     /etc/nginx/client/nginx-client.crt;
//!     proxy_ssl_certificate_key /etc/nginx/client/nginx-client.key;
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_ssl_certificate>
//! - docs/nginx-behaviour.md (upstream TLS)

use super::mtls102_trust_file_unreadable::nginx_emerg;
use super::rule::{Context, Finding, Location, Rule, RuleInfo, Severity};
use super::support::{pass_related, readable_value, tls_upstreams};

pub struct Rule401;

crate::rule_info!(
    "MTLS401",
    "upstream-file-unreadable",
    Error,
    "mtls401_upstream_file_unreadable.rs"
);

impl Rule for Rule401 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        // `<module>_ssl_password_file` is read while nginx parses the directive, at
        // any level and whatever the pass (measured: nginx -t fails on a missing one).
        for d in &cx.model.all {
            let name = d.name.as_str();
            if !matches!(
                name.as_ref(),
                "proxy_ssl_password_file" | "grpc_ssl_password_file" | "uwsgi_ssl_password_file"
            ) {
                continue;
            }
            let Some(value) = d.arg(0).map(|a| a.into_owned()) else {
                continue;
            };
            if !readable_value(&value) {
                continue;
            }
            let path = cx.config.resolve_path(&value);
            if let Err(e) = std::fs::File::open(&path) {
                let msg = format!(
                    "open() \"{}\" failed {}",
                    path.display(),
                    crate::util::read::os_error(&e)
                );
                out.push(
                    Finding::new(&INFO, Location::Span(d.span), msg.clone())
                        .refused(msg)
                        .label("read when nginx starts")
                        .help(format!(
                            "point {name} at the file with the key's passphrase (one per line)"
                        )),
                );
            }
        }
        let mut seen = std::collections::HashSet::new();
        let mut keys_read: std::collections::HashSet<std::path::PathBuf> = Default::default();
        for u in tls_upstreams(cx.model) {
            let (at, what) = pass_related(u);
            // One finding per (directive, problem): a certificate with variables gets
            // both its note and the missing key nginx refuses first.
            let mut push = |span: crate::config::Span, f: Finding| {
                let key = (span, f.message.clone());
                if !seen.contains(&key) {
                    seen.insert(key);
                    out.push(f.related(at.clone(), what.clone()));
                }
            };
            let cert_name = u.module.directive("certificate");
            let key_name = u.module.directive("certificate_key");
            if let Some(c) = u.ssl.certificate.filter(|c| !c.value().is_empty()) {
                let value = c.value();
                if value.contains('$') {
                    let mut f = Finding::new(
                        &INFO,
                        Location::Span(c.span()),
                        format!("{cert_name} names variables: nginx loads it for each request, so it is not checked here"),
                    )
                    .label("certificate chosen per request")
                    .help("check the files it can name with `nginx-mtls-lint verify --upstream` or a fixed path");
                    f.severity = Severity::Info;
                    push(c.span(), f);
                } else if readable_value(&value)
                    && let Some(Err(e)) = cx.files.get(&cx.model.path(&c))
                {
                    let msg = format!(
                        "cannot load certificate \"{}\": {}",
                        cx.model.path(&c).display(),
                        e.reason()
                    );
                    push(
                        c.span(),
                        Finding::new(&INFO, Location::Span(c.span()), msg.clone())
                            .refused(msg)
                            .label("the certificate nginx presents to the backend")
                            .help(format!("point {cert_name} at the PEM file with nginx's client certificate first, then its intermediates")),
                    );
                }
                match u.ssl.certificate_key {
                    None => {
                        let msg =
                            format!("no \"{key_name}\" is defined for certificate \"{value}\"");
                        push(
                            c.span(),
                            Finding::new(&INFO, Location::Span(c.span()), msg.clone())
                                .refused(msg)
                                .label("certificate without a key")
                                .help(format!(
                                    "add {key_name} with the private key of this certificate"
                                )),
                        );
                    }
                    Some(k)
                        if readable_value(&k.value())
                            && !k.value().starts_with("engine:")
                            && !k.value().starts_with("store:") =>
                    {
                        let path = cx.model.path(&k);
                        // Many locations name one key file: read it once.
                        let problem = if keys_read.insert(path.clone()) {
                            crate::certs::keys::key_file_problem(&path)
                        } else {
                            None
                        };
                        if let Some(p) = problem {
                            let msg =
                                format!("cannot load certificate key \"{}\": {p}", path.display());
                            push(
                                k.span(),
                                Finding::new(&INFO, Location::Span(k.span()), msg.clone())
                                    .refused(msg)
                                    .label("the key of nginx's client certificate")
                                    .help(format!(
                                        "point {key_name} at the PEM private key of {value}"
                                    )),
                            );
                        }
                    }
                    Some(_) => {}
                }
            }
            if !u.verifies() {
                continue;
            }
            for (setting, nginx_name) in [
                (u.ssl.trusted_certificate, "ssl_trusted_certificate"),
                (u.ssl.crl, "ssl_crl"),
            ] {
                let Some(s) = setting else { continue };
                if !readable_value(&s.value()) {
                    continue;
                }
                if let Some(Err(e)) = cx.files.get(&cx.model.path(&s)) {
                    let msg = nginx_emerg(nginx_name, e);
                    push(
                        s.span(),
                        Finding::new(
                            &INFO,
                            Location::Span(s.span()),
                            format!("{} \"{}\": {}", s.directive.name.as_str(), cx.model.path(&s).display(), e.reason()),
                        )
                        .refused(msg)
                        .label("read because the backend is verified")
                        .help("point it at a readable PEM file (the backends' CA certificates, or their CRLs)"),
                    );
                }
            }
        }
    }
}
