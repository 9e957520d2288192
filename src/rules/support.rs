//! What rules share: lint options (time, warning windows, nginx version), and
//! trust-material helpers. The certificate files themselves are read by
//! [`crate::model::CertFiles`].

use std::collections::HashMap;

use x509_parser::prelude::FromDer;

pub use super::rule::{NEWEST_NGINX, Options, validity};
use crate::certs::load::{Certificate, Crl};
use crate::certs::verify::likely_issued;
pub use crate::model::trust::CertFiles;
pub use crate::util::parse_version;
pub use crate::util::time::{date, days_from, now};

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
