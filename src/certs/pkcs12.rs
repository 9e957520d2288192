//! PKCS#12 (`.p12` / `.pfx`) client certificates, as curl `--cert file.p12:password
//! --cert-type P12` sends them: the certificate that belongs to the key, then every
//! other certificate of the archive as extra chain certificates.
//!
//! The password is passed in by the caller (never read from the command line here) and
//! never stored or printed. The key is reduced to its public half at once.

use std::path::Path;

use super::keys::{self, PrivateKey};
use super::load::{Certificate, ClientCertError, ClientChain, Origin, read_file};

/// What a PKCS#12 file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pkcs12Contents {
    pub chain: ClientChain,
    /// The archive's private key (public material only), when there is one.
    pub key: Option<PrivateKey>,
}

pub use super::der::looks_like_pkcs12;

/// Reads a PKCS#12 file with the given password.
pub fn load_pkcs12(path: &Path, password: &str) -> Result<Pkcs12Contents, ClientCertError> {
    let mut data = read_file(path)?;
    let r = parse_pkcs12(&data, path, password);
    data.iter_mut().for_each(|b| *b = 0);
    r
}

/// Most key-derivation iterations in one PKCS#12 file (MAC, encrypted parts and
/// shrouded key bags together), counted before any is run: about a second of work.
/// Real files use 2048 (OpenSSL 3) to a few hundred thousand in all.
pub const MAX_PKCS12_WORK: u64 = 10_000_000;
/// Most iterations of one derivation, as the `p12-keystore` crate allows.
pub const MAX_PKCS12_ITERATIONS: u64 = 1_000_000;
/// Nesting followed when counting the derivations.
const MAX_SCAN_DEPTH: usize = 24;

/// The key derivations a PKCS#12 file asks for, read from its structure without
/// running any: (derivations, total iterations, largest). Every SEQUENCE holding an
/// OCTET STRING (the salt) followed by an INTEGER (the iteration count) is one: the
/// MAC's `MacData`, PBES1/PKCS#12 PBE parameters, PBKDF2 parameters. OCTET STRINGs that
/// hold DER (the authenticated safe, plain safe contents) are looked into; encrypted
/// content cannot be, so shrouded key bags inside an encrypted part are not counted.
pub fn derivation_work(data: &[u8]) -> (u64, u64, u64) {
    fn count(v: &[u8]) -> u64 {
        if v.len() > 8 {
            return u64::MAX;
        }
        v.iter().fold(0u64, |a, &b| (a << 8) | u64::from(b))
    }
    fn walk(data: &[u8], depth: usize, acc: &mut (u64, u64, u64)) {
        if depth > MAX_SCAN_DEPTH {
            return;
        }
        let Some(items) = super::der::elements(data) else {
            return;
        };
        let mut prev_octets = false;
        for (tag, content) in items {
            match tag {
                0x02 if prev_octets => {
                    let n = count(content);
                    acc.0 += 1;
                    acc.1 = acc.1.saturating_add(n);
                    acc.2 = acc.2.max(n);
                }
                0x30 | 0x31 | 0xa0..=0xbf => walk(content, depth + 1, acc),
                0x04 => walk(content, depth + 1, acc),
                _ => {}
            }
            prev_octets = tag == 0x04;
        }
    }
    let mut acc = (0, 0, 0);
    walk(data, 0, &mut acc);
    acc
}

/// Parses PKCS#12 bytes as [`load_pkcs12`] does.
pub fn parse_pkcs12(
    data: &[u8],
    path: &Path,
    password: &str,
) -> Result<Pkcs12Contents, ClientCertError> {
    parse_pkcs12_limited(data, path, password, MAX_PKCS12_WORK)
}

/// [`parse_pkcs12`] with another bound on the total key-derivation work (iterations).
pub fn parse_pkcs12_limited(
    data: &[u8],
    path: &Path,
    password: &str,
    max_work: u64,
) -> Result<Pkcs12Contents, ClientCertError> {
    let p = || path.to_path_buf();
    let (n, total, largest) = derivation_work(data);
    if largest > MAX_PKCS12_ITERATIONS {
        return Err(ClientCertError::Pkcs12 {
            path: p(),
            message: format!(
                "an iteration count of {largest} is over the limit of {MAX_PKCS12_ITERATIONS} per key derivation; refused without trying the password"
            ),
        });
    }
    if total > max_work {
        return Err(ClientCertError::Pkcs12 {
            path: p(),
            message: format!(
                "{n} key derivations of {total} iterations in total are over the limit of {max_work} (about a second of work); refused without trying the password"
            ),
        });
    }
    let archive =
        p12_keystore::Pkcs12Archive::from_pkcs12(data, password).map_err(|e| match e {
            p12_keystore::error::Error::MacError(_) => {
                ClientCertError::Pkcs12WrongPassword { path: p() }
            }
            other => ClientCertError::Pkcs12 {
                path: p(),
                message: other.to_string(),
            },
        })?;
    let key_bag = archive.keys.first();
    let key = key_bag.and_then(|k| keys::parse_private_key_der(k.key.as_der(), path).ok());
    let key_id = key_bag
        .and_then(|k| k.local_key_id.as_ref())
        .map(|id| id.0.clone());
    // The leaf: the certificate with the key's localKeyID, else one matching the key,
    // else the first.
    let mut certs = Vec::new();
    for (i, bag) in archive.certs.iter().enumerate() {
        let origin = Origin {
            path: p(),
            index: i + 1,
            line: None,
        };
        let cert = Certificate::from_der(bag.cert.as_der().to_vec(), origin).map_err(|e| {
            ClientCertError::Pkcs12 {
                path: p(),
                message: e.0,
            }
        })?;
        certs.push((bag.local_key_id.clone(), cert));
    }
    let leaf_at = certs
        .iter()
        .position(|(id, _)| id.is_some() && *id == key_id)
        .or_else(|| {
            let key = key.as_ref()?;
            certs
                .iter()
                .position(|(_, c)| keys::key_matches(key, c) == keys::KeyMatch::Matches)
        })
        .unwrap_or(0);
    if certs.is_empty() {
        return Err(ClientCertError::NoCertificate { path: p() });
    }
    let (_, leaf) = certs.remove(leaf_at);
    Ok(Pkcs12Contents {
        chain: ClientChain {
            leaf,
            intermediates: certs.into_iter().map(|(_, c)| c).collect(),
            private_keys: Vec::new(),
        },
        key,
    })
}
