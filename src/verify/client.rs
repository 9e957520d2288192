//! Reading the client's side: the certificate file (PEM leaf first, DER, or PKCS#12),
//! its private key, and what can be said about them without any server: does the key
//! belong to the certificate, is the PKCS#12 complete, which algorithms protect it.
//!
//! Passwords come from the caller (an environment variable or a prompt); they are never
//! stored, printed or put in an error.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::certs::keys::{self, KeyMatch, PrivateKey};
use crate::certs::load::{ClientCertError, ClientChain, load_client_chain, read_file};
use crate::certs::pkcs12;

/// How the client certificate file was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CertFormat {
    Pem,
    Der,
    Pkcs12,
}

/// The encryption family of a PKCS#12 file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum P12Crypto {
    /// PBES2 / PBKDF2 with AES (OpenSSL 3's default).
    Pbes2Aes,
    /// pbeWithSHAAnd40BitRC2-CBC (OpenSSL 1.x default for certificates, `-legacy`).
    Rc2_40,
    /// pbeWithSHAAnd3-KeyTripleDES-CBC (OpenSSL 1.x default for keys, `-legacy`).
    TripleDes,
    /// Not encrypted, or an algorithm not recognised here.
    Other,
}

/// What a PKCS#12 file is protected with (read from its plaintext structure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct P12Algorithms {
    pub crypto: Vec<P12Crypto>,
    /// The MAC digest (`sha1`, `sha256`, ...), when recognised.
    pub mac: Option<String>,
}

/// One client certificate as the user gave it.
#[derive(Debug, Clone)]
pub struct ClientCert {
    pub path: PathBuf,
    pub format: CertFormat,
    pub chain: ClientChain,
    /// The key: `--key`, a key in the PEM file, or the PKCS#12's key.
    pub key: Option<PrivateKey>,
    pub key_path: Option<PathBuf>,
    /// `Some` for PKCS#12 files.
    pub p12: Option<P12Algorithms>,
}

impl ClientCert {
    /// The key against the certificate; `None` when there is no key to compare.
    pub fn key_match(&self) -> Option<KeyMatch> {
        self.key
            .as_ref()
            .map(|k| keys::key_matches(k, &self.chain.leaf))
    }
}

/// Why a client certificate could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Cert(#[from] ClientCertError),
    #[error(transparent)]
    Key(#[from] keys::KeyError),
    #[error(
        "{}: this is a PKCS#12 file and it needs a password: pass --password-env VAR (the name of an environment variable holding it), or run on a terminal to be asked",
        path.display()
    )]
    NeedPassword { path: PathBuf },
    #[error("environment variable {var} (from --password-env) is not set")]
    PasswordEnvUnset { var: String },
}

/// Where a PKCS#12 password comes from.
#[derive(Debug, Clone)]
pub enum PasswordSource {
    /// The name of an environment variable.
    Env(String),
    /// Ask on the terminal (only when stdin is one).
    Prompt,
    /// No password available (try the empty one only).
    None,
}

impl PasswordSource {
    fn get(&self, path: &Path) -> Result<Option<String>, ClientError> {
        match self {
            PasswordSource::Env(var) => match std::env::var(var) {
                Ok(v) => Ok(Some(v)),
                Err(_) => Err(ClientError::PasswordEnvUnset { var: var.clone() }),
            },
            PasswordSource::Prompt => {
                use std::io::IsTerminal;
                if !std::io::stdin().is_terminal() {
                    return Ok(None);
                }
                Ok(prompt(path))
            }
            PasswordSource::None => Ok(None),
        }
    }
}

/// Reads a password from the terminal with echo off (`stty -echo`).
fn prompt(path: &Path) -> Option<String> {
    use std::io::Write;
    let stty = |arg: &str| {
        std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status()
            .is_ok_and(|s| s.success())
    };
    eprint!("Password for {}: ", path.display());
    let _ = std::io::stderr().flush();
    let echo_off = stty("-echo");
    let mut line = String::new();
    let read = std::io::stdin().read_line(&mut line);
    if echo_off {
        stty("echo");
    }
    eprintln!();
    read.ok()?;
    Some(line.trim_end_matches(['\n', '\r']).to_owned())
}

/// Reads a client certificate (and its key) as curl `--cert`/`--key` would use them.
pub fn load_client_cert(
    path: &Path,
    key_path: Option<&Path>,
    password: &PasswordSource,
) -> Result<ClientCert, ClientError> {
    let data = read_file(path).map_err(ClientCertError::from)?;
    let (format, chain, mut key, p12) = if pkcs12::looks_like_pkcs12(&data) {
        let algorithms = p12_algorithms(&data);
        // An archive without a password is common: try the empty one first.
        let contents = match pkcs12::parse_pkcs12(&data, path, "") {
            Ok(c) => c,
            Err(ClientCertError::Pkcs12WrongPassword { .. }) => {
                let Some(pw) = password.get(path)? else {
                    return Err(ClientError::NeedPassword {
                        path: path.to_path_buf(),
                    });
                };
                let r = pkcs12::parse_pkcs12(&data, path, &pw);
                // Overwrite the secret before its buffer is freed.
                let mut bytes = pw.into_bytes();
                bytes.iter_mut().for_each(|b| *b = 0);
                r?
            }
            Err(e) => return Err(e.into()),
        };
        (
            CertFormat::Pkcs12,
            contents.chain,
            contents.key,
            Some(algorithms),
        )
    } else {
        let chain = load_client_chain(path)?;
        let format = if crate::certs::pem::looks_like_pem(&data) {
            CertFormat::Pem
        } else {
            CertFormat::Der
        };
        // A key in the same PEM file (curl takes it from --cert when --key is absent).
        let key = if chain.private_keys.is_empty() {
            None
        } else {
            keys::parse_private_key(&data, path).ok()
        };
        (format, chain, key, None)
    };
    let mut used_key_path = key.as_ref().map(|_| path.to_path_buf());
    if let Some(kp) = key_path {
        key = Some(keys::load_private_key(kp)?);
        used_key_path = Some(kp.to_path_buf());
    }
    Ok(ClientCert {
        path: path.to_path_buf(),
        format,
        chain,
        key,
        key_path: used_key_path,
        p12,
    })
}

/// DER encodings (tag, length, content) of the OIDs that matter.
const OID_RC2_40: &[u8] = &[
    0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, 0x06,
];
const OID_3DES: &[u8] = &[
    0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, 0x03,
];
const OID_PBES2: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d,
];
const OID_SHA1: &[u8] = &[0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a];
const OID_SHA256: &[u8] = &[
    0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
];

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The encryption algorithms and MAC of a PKCS#12 file. Their identifiers sit in the
/// unencrypted part of the structure, so no password is needed.
pub fn p12_algorithms(der: &[u8]) -> P12Algorithms {
    let mut crypto = Vec::new();
    if contains(der, OID_PBES2) {
        crypto.push(P12Crypto::Pbes2Aes);
    }
    if contains(der, OID_RC2_40) {
        crypto.push(P12Crypto::Rc2_40);
    }
    if contains(der, OID_3DES) {
        crypto.push(P12Crypto::TripleDes);
    }
    if crypto.is_empty() {
        crypto.push(P12Crypto::Other);
    }
    // The MAC sits at the end of the PFX: look at the last occurrence.
    let tail = &der[der.len().saturating_sub(120)..];
    let mac = if contains(tail, OID_SHA256) {
        Some("sha256".into())
    } else if contains(tail, OID_SHA1) {
        Some("sha1".into())
    } else {
        None
    };
    P12Algorithms { crypto, mac }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithms_are_found_by_oid() {
        let mut der = vec![0x30, 0x00];
        der.extend_from_slice(OID_PBES2);
        der.extend_from_slice(OID_SHA256);
        let a = p12_algorithms(&der);
        assert_eq!(a.crypto, vec![P12Crypto::Pbes2Aes]);
        assert_eq!(a.mac.as_deref(), Some("sha256"));
        let mut der = vec![0x30, 0x00];
        der.extend_from_slice(OID_RC2_40);
        der.extend_from_slice(OID_3DES);
        der.extend_from_slice(OID_SHA1);
        let a = p12_algorithms(&der);
        assert_eq!(a.crypto, vec![P12Crypto::Rc2_40, P12Crypto::TripleDes]);
        assert_eq!(a.mac.as_deref(), Some("sha1"));
    }
}
