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

/// Parses PKCS#12 bytes as [`load_pkcs12`] does.
pub fn parse_pkcs12(
    data: &[u8],
    path: &Path,
    password: &str,
) -> Result<Pkcs12Contents, ClientCertError> {
    let p = || path.to_path_buf();
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
