//! What rules share: the certificate files a configuration names (each read once),
//! lint options (time, warning windows, nginx version), and trust-material helpers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use x509_parser::prelude::FromDer;

use crate::certs::load::{Bundle, Certificate, Crl, LoadError, load_pem_bundle};
use crate::certs::verify::likely_issued;
use crate::model::{Model, Server, Setting};

/// Options that change what rules conclude.
#[derive(Debug, Clone)]
pub struct Options {
    /// The time to judge validity at (unix seconds).
    pub now: i64,
    /// Warning windows for expiry, in days, largest first (default 30, 15, 7).
    pub warn_days: Vec<u32>,
    /// The nginx version whose behaviour to assume.
    pub nginx_version: (u32, u32, u32),
}

impl Options {
    /// How a certificate's validity stands at [`Options::now`], against the warning
    /// windows (see [`validity`]).
    pub fn validity_of(
        &self,
        info: &crate::certs::info::CertInfo,
    ) -> Option<(super::Severity, String)> {
        validity(self.now, info.not_before, info.not_after, &self.warn_days)
    }
}

/// The newest nginx behaviour this tool knows about.
pub const NEWEST_NGINX: (u32, u32, u32) = (1, 29, 3);

impl Default for Options {
    fn default() -> Options {
        Options {
            now: now(),
            warn_days: vec![30, 15, 7],
            nginx_version: NEWEST_NGINX,
        }
    }
}

/// The current time in unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Parses `1.27.2` into a version triple.
pub fn parse_version(s: &str) -> Option<(u32, u32, u32)> {
    let mut it = s.trim().split('.').map(|p| p.parse::<u32>());
    let a = it.next()?.ok()?;
    let b = it.next().unwrap_or(Ok(0)).ok()?;
    let c = it.next().unwrap_or(Ok(0)).ok()?;
    Some((a, b, c))
}

/// Every certificate/CRL file named by an ssl_* directive, read once.
#[derive(Debug, Default)]
pub struct CertFiles {
    files: HashMap<PathBuf, Result<Bundle, LoadError>>,
}

impl CertFiles {
    /// Reads every file the model's servers name (in parallel: a large configuration
    /// names thousands).
    pub fn read(model: &Model<'_>) -> CertFiles {
        let mut paths: Vec<PathBuf> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for s in &model.servers {
            let ssl = &s.ssl;
            let settings = [ssl.client_certificate, ssl.trusted_certificate, ssl.crl]
                .into_iter()
                .flatten()
                .chain(ssl.certificates.iter().copied());
            for setting in settings {
                let value = setting.value();
                if value.contains('$') || value.starts_with("data:") {
                    continue;
                }
                let path = model.path(&setting);
                if seen.insert(path.clone()) {
                    paths.push(path);
                }
            }
        }
        let workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(paths.len().max(1));
        let chunk = paths.len().div_ceil(workers).max(1);
        let files = std::thread::scope(|scope| {
            let handles: Vec<_> = paths
                .chunks(chunk)
                .map(|part| {
                    let load = move || {
                        part.iter()
                            .map(|p| (p.clone(), load_pem_bundle(p)))
                            .collect::<Vec<_>>()
                    };
                    let thread = std::thread::Builder::new().spawn_scoped(scope, load);
                    (load, thread.ok())
                })
                .collect();
            // A part whose thread could not be started, or failed, is read here.
            handles
                .into_iter()
                .flat_map(|(load, h)| h.and_then(|h| h.join().ok()).unwrap_or_else(load))
                .collect()
        });
        CertFiles { files }
    }

    pub fn get(&self, path: &Path) -> Option<&Result<Bundle, LoadError>> {
        self.files.get(path)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The bundle a setting names, when it was read without error.
    pub fn bundle(&self, model: &Model<'_>, setting: Option<Setting<'_>>) -> Option<&Bundle> {
        let s = setting?;
        self.files.get(&model.path(&s))?.as_ref().ok()
    }

    /// The CA files of a server that could be read (`ssl_client_certificate`, then
    /// `ssl_trusted_certificate`), each with the setting that names it.
    pub fn ca_bundles<'b, 'a>(
        &'b self,
        model: &Model<'_>,
        server: &Server<'a>,
    ) -> Vec<(Setting<'a>, &'b Bundle)> {
        [
            server.ssl.client_certificate,
            server.ssl.trusted_certificate,
        ]
        .into_iter()
        .flatten()
        .filter_map(|s| self.bundle(model, Some(s)).map(|b| (s, b)))
        .collect()
    }

    /// The server's trust store: `ssl_client_certificate` then `ssl_trusted_certificate`
    /// (and, as OpenSSL loads them into the same store, certificates in `ssl_crl`).
    pub fn trust_store<'b>(
        &'b self,
        model: &Model<'_>,
        server: &Server<'_>,
    ) -> Vec<&'b Certificate> {
        let mut out: Vec<&Certificate> = Vec::new();
        let mut seen: Vec<&Path> = Vec::new();
        for s in [
            server.ssl.client_certificate,
            server.ssl.trusted_certificate,
            server.ssl.crl,
        ]
        .into_iter()
        .flatten()
        {
            let path = model.path(&s);
            if let Some((key, Ok(b))) = self.files.get_key_value(&path) {
                if seen.contains(&key.as_path()) {
                    continue;
                }
                seen.push(key.as_path());
                out.extend(b.certificates.iter());
            }
        }
        out
    }

    /// The CRLs of the server's `ssl_crl` file.
    pub fn crls<'b>(&'b self, model: &Model<'_>, server: &Server<'_>) -> Vec<&'b Crl> {
        self.bundle(model, server.ssl.crl)
            .map(|b| b.crls.iter().collect())
            .unwrap_or_default()
    }
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

/// "in 12 days", "3 days ago", for messages.
pub fn days_from(now: i64, t: i64) -> String {
    let days = (t - now).div_euclid(86_400);
    match days {
        0 if t >= now => "within a day".into(),
        d if d > 0 => format!("in {d} day{}", if d == 1 { "" } else { "s" }),
        d => format!("{} day{} ago", -d, if d == -1 { "" } else { "s" }),
    }
}

/// A date for messages: `2027-01-01 00:00:00 UTC`.
pub fn date(t: i64) -> String {
    crate::certs::info::rfc3339(t)
        .replace('T', " ")
        .trim_end_matches('Z')
        .to_string()
        + " UTC"
}

/// How a validity period stands at `now`: `None` when fine, else the severity and a
/// sentence (`expired on ...`, `expires on ... (in 12 days, within 15 days)`).
pub fn validity(
    now: i64,
    not_before: i64,
    not_after: i64,
    warn_days: &[u32],
) -> Option<(super::Severity, String)> {
    use super::Severity;
    if not_before > now {
        return Some((
            Severity::Error,
            format!(
                "is not valid until {} ({})",
                date(not_before),
                days_from(now, not_before)
            ),
        ));
    }
    if not_after <= now {
        return Some((
            Severity::Error,
            format!(
                "expired on {} ({})",
                date(not_after),
                days_from(now, not_after)
            ),
        ));
    }
    let left_days = (not_after - now) / 86_400;
    let window = warn_days
        .iter()
        .copied()
        .filter(|d| (*d as i64) > left_days)
        .min()?;
    Some((
        Severity::Warning,
        format!(
            "expires on {} ({}, within {window} days)",
            date(not_after),
            days_from(now, not_after)
        ),
    ))
}
