//! What rules share: lint options (time, warning windows, nginx version), and
//! trust-material helpers. The certificate files themselves are read by
//! [`crate::model::CertFiles`].

use std::collections::HashMap;

use x509_parser::prelude::FromDer;

pub use super::rule::{NEWEST_NGINX, Options, validity};
use crate::certs::load::{Certificate, Crl};
use crate::certs::verify::likely_issued;
use crate::config::directives::{self, RefusalKind, Version};
use crate::config::refusals::{Refused, refusals};
pub use crate::model::trust::CertFiles;
pub use crate::util::parse_version;
pub use crate::util::time::{date, days_from, now};

/// The CA of a trust store that needs the most intermediate CAs below its root (itself
/// included when it is not the root), with that number: what a verify depth must cover.
/// Only CAs whose chain reaches a root in the store count.
pub fn deepest_ca<'b>(store: &[&'b Certificate]) -> Option<(usize, &'b Certificate)> {
    let mut worst: Option<(usize, &Certificate)> = None;
    for c in store {
        if !c.info.is_ca() {
            continue;
        }
        let (chain, rooted) = chain_to_root(c, store);
        if rooted && worst.is_none_or(|(n, _)| chain.len() - 1 > n) {
            worst = Some((chain.len() - 1, c));
        }
    }
    worst
}

thread_local! {
    /// Signature checks already made, by the two fingerprints: rules ask the same
    /// question for every server that shares a CA file.
    static SIGNATURES: std::cell::RefCell<HashMap<(String, String), bool>> =
        std::cell::RefCell::new(HashMap::new());
}

fn memo(subject: &str, issuer: &str, check: impl FnOnce() -> bool) -> bool {
    let key = (subject.to_string(), issuer.to_string());
    if let Some(v) = SIGNATURES.with(|m| m.borrow().get(&key).copied()) {
        return v;
    }
    let v = check();
    SIGNATURES.with(|m| m.borrow_mut().insert(key, v));
    v
}

/// Whether `issuer` issued `subject`: names match and the signature verifies.
pub fn issued_by(subject: &Certificate, issuer: &Certificate) -> bool {
    if subject.info.issuer_canonical != issuer.info.subject_canonical {
        return false;
    }
    memo(
        &subject.info.sha1_fingerprint,
        &issuer.info.sha1_fingerprint,
        || verify_cert_signature(subject, issuer),
    )
}

fn verify_cert_signature(subject: &Certificate, issuer: &Certificate) -> bool {
    let (Ok((_, s)), Ok((_, i))) = (
        x509_parser::certificate::X509Certificate::from_der(&subject.der),
        x509_parser::certificate::X509Certificate::from_der(&issuer.der),
    ) else {
        return false;
    };
    s.verify_signature(Some(i.public_key())).is_ok()
}

/// Whether `ca` signed `crl`: names match, and the key identifiers match (a re-keyed
/// CA of the same name is told apart by them); only when the CRL or the CA has no key
/// identifier is the signature itself checked.
pub fn crl_signed_by(crl: &Crl, ca: &Certificate) -> bool {
    if !crl_for(crl, ca) {
        return false;
    }
    let ids = crl
        .info
        .authority_key_id
        .as_ref()
        .is_some_and(|a| a.key_id.is_some())
        && ca.info.subject_key_id.is_some();
    if ids {
        return true;
    }
    memo(
        &crl.info.sha1_fingerprint,
        &ca.info.sha1_fingerprint,
        || verify_crl_signature(crl, ca),
    )
}

fn verify_crl_signature(crl: &Crl, ca: &Certificate) -> bool {
    let (Ok((_, c)), Ok((_, i))) = (
        x509_parser::revocation_list::CertificateRevocationList::from_der(&crl.der),
        x509_parser::certificate::X509Certificate::from_der(&ca.der),
    ) else {
        return false;
    };
    c.verify_signature(i.public_key()).is_ok()
}

/// Whether a CRL names `ca` as its issuer the way OpenSSL looks CRLs up: issuer name,
/// and the authority key identifier when there is one (no signature check).
pub fn crl_for(crl: &Crl, ca: &Certificate) -> bool {
    crl.info.issuer_canonical == ca.info.subject_canonical
        && crl.info.authority_key_id.as_ref().is_none_or(|a| {
            match (&a.key_id, &ca.info.subject_key_id) {
                (Some(k), Some(s)) => k == s,
                _ => true,
            }
        })
}

/// For a certificate of the trust store: the chain up to a self-signed root within
/// `store` (the certificate first), and whether it reached one. Issuers are found as
/// OpenSSL's chain building finds them (name, key identifiers, key type), without
/// checking signatures.
pub fn chain_to_root<'b>(
    cert: &'b Certificate,
    store: &[&'b Certificate],
) -> (Vec<&'b Certificate>, bool) {
    let mut chain = vec![cert];
    let mut current = cert;
    while chain.len() <= store.len() + 1 {
        if current.info.openssl_self_signed {
            return (chain, true);
        }
        let next = store.iter().find(|c| {
            !chain.iter().any(|x| std::ptr::eq(*x, **c)) && likely_issued(&c.info, &current.info)
        });
        match next {
            Some(n) => {
                chain.push(n);
                current = n;
            }
            None => return (chain, false),
        }
    }
    (chain, false)
}

thread_local! {
    /// The refusals of the configuration [`super::check`] is running the rules on, on
    /// this thread (check runs them on two).
    static SHARED: std::cell::RefCell<Option<SharedRefusals>> =
        const { std::cell::RefCell::new(None) };
}

/// The refusals of one configuration, computed once, by the first rule that needs them,
/// while [`super::check`] runs the rules on any of its threads.
#[derive(Clone, Default)]
pub struct SharedRefusals(std::sync::Arc<std::sync::OnceLock<Vec<Refused>>>);

/// The rules that report [`SharedRefusals`].
pub const DIRECTIVE_CHECKS: &[&str] = &[
    "MTLS005", "MTLS006", "MTLS007", "MTLS008", "MTLS009", "MTLS010",
];

impl SharedRefusals {
    /// Computes the refusals now (the other callers wait for it).
    pub fn compute(&self, cx: &super::rule::Context<'_>) {
        self.0.get_or_init(|| {
            refusals(
                cx.config,
                cx.options.nginx_version,
                &cx.options.extra_directives,
            )
        });
    }

    /// Lends the refusals to the rules run on this thread until the guard is dropped.
    pub fn enter(&self) -> SharedGuard {
        SHARED.with(|s| *s.borrow_mut() = Some(self.clone()));
        SharedGuard
    }
}

/// Forgets the refusals lent to this thread when dropped (at the end of a run).
pub struct SharedGuard;

impl Drop for SharedGuard {
    fn drop(&mut self) {
        SHARED.with(|s| *s.borrow_mut() = None);
    }
}

/// What a rule on nginx's directive checks (MTLS005-MTLS010) reports: the refusals
/// `keep` selects, each a finding at the directive's name with nginx's message.
pub fn directive_findings(
    cx: &super::rule::Context<'_>,
    info: &'static super::rule::RuleInfo,
    keep: impl Fn(&Refused) -> bool,
    out: &mut Vec<super::rule::Finding>,
) {
    use super::rule::{Finding, Location};
    let version = cx.options.nginx_version;
    let compute = || refusals(cx.config, version, &cx.options.extra_directives);
    let shared = SHARED.with(|s| s.borrow().clone());
    let owned;
    let all = match &shared {
        Some(cell) => cell.0.get_or_init(compute),
        None => {
            owned = compute();
            &owned
        }
    };
    for r in all.iter() {
        if !keep(r) {
            continue;
        }
        let v = Version::from(version).clamp_to_table();
        let known = directives::lookup(&r.name, v);
        let f = if r.not_checked {
            Finding::new(
                info,
                Location::Span(r.span),
                format!(
                    "\"{}\" is not a directive of nginx or of the modules Debian and nginx.org build: assumed to come from a third-party module, not checked",
                    r.name
                ),
            )
            .label("not checked")
            .help(format!(
                "if nginx says `unknown directive \"{}\"`, load the module that provides it (`load_module modules/ngx_..._module.so;`); to silence this, declare it in .nginx-mtls-lint.toml: `extra-directives = [\"{}\"]`",
                r.name, r.name
            ))
        } else {
            let help = match r.kind {
                RefusalKind::UnknownDirective => match (r.suggestion, r.known_in) {
                    (_, Some((first, _))) if first > v => format!(
                        "\"{}\" exists from nginx {first} on; this configuration is checked as nginx {v} (--nginx-version)",
                        r.name
                    ),
                    (_, Some((_, last))) if r.name == "ssl" => format!(
                        "the \"ssl\" directive was removed after nginx {last}: put `ssl` on the listen line instead (`listen 443 ssl;`)"
                    ),
                    (_, Some((_, last))) => format!(
                        "\"{}\" was removed after nginx {last}; this configuration is checked as nginx {v} (--nginx-version)",
                        r.name
                    ),
                    (Some(s), None) => format!("did you mean \"{s}\"?"),
                    (None, None) => format!(
                        "if a third-party module provides \"{}\", load it with load_module (its directives are then not checked), or declare it in .nginx-mtls-lint.toml: `extra-directives = [\"{}\"]`",
                        r.name, r.name
                    ),
                },
                RefusalKind::NotAllowedHere => {
                    let places: Vec<&str> = directives::lookup_all(&r.name, v)
                        .flat_map(|d| d.contexts().map(qualified))
                        .fold(Vec::new(), |mut acc, c| {
                            if !acc.contains(&c) {
                                acc.push(c);
                            }
                            acc
                        });
                    format!(
                        "\"{}\" is allowed in: {} (here: {})",
                        r.name,
                        places.join(", "),
                        r.context
                    )
                }
                RefusalKind::InvalidNumberOfArguments
                | RefusalKind::NotTerminatedBySemicolon
                | RefusalKind::NoOpeningBrace => match known {
                    Some(d) => format!("\"{}\" takes {}", r.name, takes(d)),
                    None => "see the directive's syntax in the nginx documentation".into(),
                },
                RefusalKind::InvalidValue => match known {
                    Some(d) if !d.values.is_empty() => {
                        format!("\"{}\" takes one of: {}", r.name, d.values.join(", "))
                    }
                    _ => "see the directive's syntax in the nginx documentation".into(),
                },
                RefusalKind::Duplicate => format!(
                    "keep one \"{}\" in this block (nginx refuses a second one, even with the same value)",
                    r.name
                ),
            };
            Finding::new(info, Location::Span(r.span), r.message.clone())
                .refused(r.message.clone())
                .label(match r.kind {
                    RefusalKind::UnknownDirective => "unknown",
                    RefusalKind::NotAllowedHere => "not allowed here",
                    RefusalKind::Duplicate => "second one",
                    RefusalKind::InvalidValue => "invalid value",
                    _ => "here",
                })
                .help(help)
        };
        out.push(f);
    }
}

/// A context as a user finds it: `http server`, not just `server`.
fn qualified(c: directives::Context) -> &'static str {
    use directives::Context as C;
    match c {
        C::HttpServer => "http server",
        C::StreamServer => "stream server",
        C::MailServer => "mail server",
        C::HttpUpstream => "http upstream",
        C::StreamUpstream => "stream upstream",
        other => other.name(),
    }
}

/// "1 argument", "1 or 2 arguments", "a block", for help texts.
fn takes(d: &directives::Directive) -> String {
    use directives::arg;
    let block = if d.is_block() { " and a block" } else { "" };
    if d.args & arg::FLAG != 0 {
        return "on or off".into();
    }
    if d.args & arg::ANY != 0 {
        return format!("any number of arguments{block}");
    }
    if d.args & arg::MORE1 != 0 {
        return format!("1 or more arguments{block}");
    }
    if d.args & arg::MORE2 != 0 {
        return format!("2 or more arguments{block}");
    }
    let counts: Vec<String> = (0..arg::MAX_ARGS)
        .filter(|n| d.accepts_arg_count(*n))
        .map(|n| n.to_string())
        .collect();
    let last_one = counts.last().is_some_and(|c| c == "1");
    format!(
        "{} argument{}{block}",
        counts.join(" or "),
        if last_one { "" } else { "s" }
    )
}

/// The findings that concern one file of the configuration (a site file read as part
/// of its main configuration): those in it, those with a related place in it, and
/// those about a certificate or CRL file one of its servers uses.
pub fn about_file(
    cx: &super::rule::Context<'_>,
    file: crate::config::FileId,
    findings: Vec<super::rule::Finding>,
) -> Vec<super::rule::Finding> {
    use super::rule::Location;
    let in_file = |l: &Location| matches!(l, Location::Span(s) if s.file == file);
    let used: std::collections::HashSet<std::path::PathBuf> = cx
        .model
        .servers
        .iter()
        .filter(|s| s.block.span.file == file)
        .flat_map(|s| {
            let ssl = &s.ssl;
            [ssl.client_certificate, ssl.trusted_certificate, ssl.crl]
                .into_iter()
                .flatten()
                .chain(ssl.certificates.iter().copied())
                .chain(ssl.certificate_keys.iter().copied())
                .map(|setting| cx.model.path(&setting))
                .collect::<Vec<_>>()
        })
        .collect();
    findings
        .into_iter()
        .filter(|f| {
            in_file(&f.location)
                || f.related.iter().any(|r| in_file(&r.location))
                || matches!(&f.location, Location::File(p) if used.contains(p))
        })
        .collect()
}

pub use crate::model::trust::readable_value;

/// The upstream connections nginx makes with TLS, each with the server it is in.
pub fn tls_upstreams<'m, 'a>(
    model: &'m crate::model::Model<'a>,
) -> impl Iterator<Item = &'m crate::model::upstream::Upstream<'a>> {
    model.upstreams.iter().filter(|u| u.tls)
}

/// "related" for an upstream finding: the pass it applies to.
pub fn pass_related(u: &crate::model::upstream::Upstream<'_>) -> (super::rule::Location, String) {
    (
        super::rule::Location::Span(u.pass.span),
        format!("connects to the backend: {}", u.describe()),
    )
}

/// The certificate files nginx presents to its backends, once each (many locations
/// name the same setting through inheritance): the pass, the setting and the file read.
pub fn presented_certificates<'m, 'a, 'f>(
    model: &'m crate::model::Model<'a>,
    files: &'f crate::model::trust::CertFiles,
) -> Vec<(
    &'m crate::model::upstream::Upstream<'a>,
    crate::model::Setting<'a>,
    &'f crate::certs::load::Bundle,
)> {
    let mut seen = std::collections::HashSet::new();
    tls_upstreams(model)
        .filter_map(|u| {
            let cert = u.ssl.certificate?;
            if !seen.insert(cert.span()) {
                return None;
            }
            files.bundle(model, Some(cert)).map(|b| (u, cert, b))
        })
        .collect()
}
