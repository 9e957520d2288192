//! What rules share: the certificate files a configuration names (each read once),
//! lint options (time, warning windows, nginx version), and trust-material helpers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use x509_parser::prelude::FromDer;

use crate::certs::load::{Bundle, Certificate, Crl, LoadError, load_bundle};
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
    /// Reads every file the model's servers name.
    pub fn read(model: &Model<'_>) -> CertFiles {
        let mut files = HashMap::new();
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
                files
                    .entry(path.clone())
                    .or_insert_with(|| load_bundle(&path));
            }
        }
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

/// Whether `issuer` issued `subject`: names match and the signature verifies.
pub fn issued_by(subject: &Certificate, issuer: &Certificate) -> bool {
    if subject.info.issuer_canonical != issuer.info.subject_canonical {
        return false;
    }
    let (Ok((_, s)), Ok((_, i))) = (
        x509_parser::certificate::X509Certificate::from_der(&subject.der),
        x509_parser::certificate::X509Certificate::from_der(&issuer.der),
    ) else {
        return false;
    };
    s.verify_signature(Some(i.public_key())).is_ok()
}

/// Whether `ca` signed `crl`: names match and the signature verifies.
pub fn crl_signed_by(crl: &Crl, ca: &Certificate) -> bool {
    if crl.info.issuer_canonical != ca.info.subject_canonical {
        return false;
    }
    let (Ok((_, c)), Ok((_, i))) = (
        x509_parser::revocation_list::CertificateRevocationList::from_der(&crl.der),
        x509_parser::certificate::X509Certificate::from_der(&ca.der),
    ) else {
        return false;
    };
    c.verify_signature(i.public_key()).is_ok()
}

/// For a certificate of the trust store: the chain up to a self-signed root within
/// `store` (the certificate first), and whether it reached one.
pub fn chain_to_root<'b>(
    cert: &'b Certificate,
    store: &[&'b Certificate],
) -> (Vec<&'b Certificate>, bool) {
    let mut chain = vec![cert];
    let mut current = cert;
    while chain.len() <= store.len() + 1 {
        if current.info.self_signed {
            return (chain, true);
        }
        let next = store
            .iter()
            .find(|c| !chain.iter().any(|x| std::ptr::eq(*x, **c)) && issued_by(current, c));
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
