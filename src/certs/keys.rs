//! Does a private key belong to a certificate? (nginx: `ssl_certificate` /
//! `ssl_certificate_key`; curl: `--cert` / `--key`.)
//!
//! The key file is read, its public half derived or taken from the file, and the
//! secret bytes dropped at once: [`PrivateKey`] holds only public material, and its
//! `Debug` says so. Encrypted keys are reported as such; no password is ever asked for.

use std::path::{Path, PathBuf};

use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;

use super::der::{elements, oid_string, seq, tlv};
use super::info::KeyKind;
use super::load::{Certificate, LoadError, read_file};
use super::pem::{self, Body};

/// How the key is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFormat {
    /// `BEGIN PRIVATE KEY` (or DER PrivateKeyInfo).
    Pkcs8,
    /// `BEGIN RSA PRIVATE KEY`.
    Pkcs1,
    /// `BEGIN EC PRIVATE KEY`.
    Sec1,
    /// `BEGIN ENCRYPTED PRIVATE KEY`.
    EncryptedPkcs8,
    /// A traditional PEM key with `Proc-Type: 4,ENCRYPTED`.
    LegacyEncrypted,
}

/// The public half of a key, for comparison with a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicPart {
    /// RSA modulus and exponent (big-endian, no leading zeros).
    Rsa {
        modulus: Vec<u8>,
        exponent: Vec<u8>,
    },
    /// EC curve OID (dotted) and the encoded point.
    Ec {
        curve: Option<String>,
        point: Vec<u8>,
    },
    Ed25519(Vec<u8>),
}

/// A private key file, reduced to what can be said without its secret.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKey {
    pub path: PathBuf,
    pub format: KeyFormat,
    pub kind: Option<KeyKind>,
    /// 1-based line of the key's BEGIN line (PEM).
    pub line: Option<usize>,
    /// `None` when encrypted, or when the file does not say and it cannot be derived.
    pub public: Option<PublicPart>,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey")
            .field("path", &self.path)
            .field("format", &self.format)
            .field("kind", &self.kind)
            .field("line", &self.line)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Why a key file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("{}: no private key found", path.display())]
    NoKey { path: PathBuf },
    #[error("{}{}: private key is corrupt ({reason})", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Corrupt {
        path: PathBuf,
        line: Option<usize>,
        reason: String,
    },
    #[error("{}: unsupported private key format ({label})", path.display())]
    Unsupported { path: PathBuf, label: String },
}

/// The answer to "does this key belong to this certificate?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMatch {
    Matches,
    /// Different key (or different key type).
    Mismatch,
    /// The key is encrypted: cannot compare without its password.
    Encrypted,
    /// The comparison could not be made (reason).
    Unknown(String),
}

/// Why nginx cannot load a certificate key file (`cannot load certificate key "...":
/// <this>`): unreadable, or no private key in it (PEM block or DER structure); `None`
/// when it holds one.
pub fn key_file_problem(path: &Path) -> Option<String> {
    let mut bytes = match read_file(path) {
        Err(e) => return Some(e.reason()),
        Ok(b) => b,
    };
    let der_key = !pem::looks_like_pem(&bytes) && bytes.first() == Some(&0x30);
    let found = der_key || pem::scan(&bytes).iter().any(|b| b.is_private_key());
    bytes.iter_mut().for_each(|b| *b = 0);
    (!found).then(|| "no private key found".to_string())
}

/// Reads the first private key of a PEM or DER file.
pub fn load_private_key(path: &Path) -> Result<PrivateKey, KeyError> {
    let mut data = read_file(path)?;
    let r = parse_private_key(&data, path);
    data.iter_mut().for_each(|b| *b = 0);
    r
}

/// Parses key bytes as [`load_private_key`] does.
pub fn parse_private_key(data: &[u8], path: &Path) -> Result<PrivateKey, KeyError> {
    let p = || path.to_path_buf();
    if data.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(LoadError::Empty { path: p() }.into());
    }
    if !pem::looks_like_pem(data) {
        return parse_der_any(data, path, None);
    }
    let Some(block) = pem::scan(data).into_iter().find(pem::Block::is_private_key) else {
        return Err(KeyError::NoKey { path: p() });
    };
    let corrupt = |reason: &str| KeyError::Corrupt {
        path: p(),
        line: Some(block.line),
        reason: reason.to_owned(),
    };
    let der = match &block.body {
        Body::Decoded(d) => d,
        Body::Truncated => return Err(corrupt("truncated, no END line")),
        Body::EndMismatch(_) => return Err(corrupt("mismatched END line")),
        Body::BadBase64 => return Err(corrupt("not valid base64")),
    };
    let key = |format, kind, public| PrivateKey {
        path: p(),
        format,
        kind,
        line: Some(block.line),
        public,
    };
    if block.headers.iter().any(|h| h.contains("ENCRYPTED")) {
        let kind = match block.label.as_str() {
            "RSA PRIVATE KEY" => Some(KeyKind::Rsa),
            "EC PRIVATE KEY" => Some(KeyKind::Ec),
            _ => None,
        };
        return Ok(key(KeyFormat::LegacyEncrypted, kind, None));
    }
    let parsed = match block.label.as_str() {
        "PRIVATE KEY" => pkcs8(der),
        "RSA PRIVATE KEY" => pkcs1(der).map(|pp| (KeyFormat::Pkcs1, KeyKind::Rsa, Some(pp))),
        "EC PRIVATE KEY" => sec1(der, None).map(|pp| (KeyFormat::Sec1, KeyKind::Ec, pp)),
        "ENCRYPTED PRIVATE KEY" => return Ok(key(KeyFormat::EncryptedPkcs8, None, None)),
        other => {
            return Err(KeyError::Unsupported {
                path: p(),
                label: other.to_owned(),
            });
        }
    };
    match parsed {
        Some((format, kind, public)) => Ok(key(format, Some(kind), public)),
        None => Err(corrupt("not a valid key structure")),
    }
}

/// Parses a DER key (PKCS#8, PKCS#1 or SEC1).
pub fn parse_private_key_der(der: &[u8], path: &Path) -> Result<PrivateKey, KeyError> {
    parse_der_any(der, path, None)
}

fn parse_der_any(der: &[u8], path: &Path, line: Option<usize>) -> Result<PrivateKey, KeyError> {
    let found = pkcs8(der)
        .or_else(|| pkcs1(der).map(|pp| (KeyFormat::Pkcs1, KeyKind::Rsa, Some(pp))))
        .or_else(|| sec1(der, None).map(|pp| (KeyFormat::Sec1, KeyKind::Ec, pp)));
    match found {
        Some((format, kind, public)) => Ok(PrivateKey {
            path: path.to_path_buf(),
            format,
            kind: Some(kind),
            line,
            public,
        }),
        None if encrypted_pkcs8(der) => Ok(PrivateKey {
            path: path.to_path_buf(),
            format: KeyFormat::EncryptedPkcs8,
            kind: None,
            line,
            public: None,
        }),
        None => Err(KeyError::NoKey {
            path: path.to_path_buf(),
        }),
    }
}

/// Compares a key with a certificate's public key.
pub fn key_matches(key: &PrivateKey, cert: &Certificate) -> KeyMatch {
    if matches!(
        key.format,
        KeyFormat::EncryptedPkcs8 | KeyFormat::LegacyEncrypted
    ) {
        return KeyMatch::Encrypted;
    }
    let Some(public) = &key.public else {
        return KeyMatch::Unknown(
            "the key file holds no public key and it cannot be derived".into(),
        );
    };
    let Ok((_, x)) = X509Certificate::from_der(&cert.der) else {
        return KeyMatch::Unknown("certificate cannot be parsed".into());
    };
    let spki = x.public_key();
    let Ok(parsed) = spki.parsed() else {
        return KeyMatch::Unknown("certificate key cannot be parsed".into());
    };
    let same = match (public, &parsed) {
        (PublicPart::Rsa { modulus, exponent }, PublicKey::RSA(r)) => {
            strip(r.modulus) == modulus.as_slice() && strip(r.exponent) == exponent.as_slice()
        }
        (PublicPart::Ec { curve, point }, PublicKey::EC(p)) => {
            let cert_curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|a| a.as_oid().ok())
                .map(|o| o.to_id_string());
            let compressed = |b: &[u8]| matches!(b.first(), Some(0x02 | 0x03));
            if p.data().len() != point.len() && (compressed(p.data()) || compressed(point)) {
                return KeyMatch::Unknown(
                    "EC points are encoded differently (compressed vs uncompressed)".into(),
                );
            }
            p.data() == point.as_slice() && (curve.is_none() || *curve == cert_curve)
        }
        (PublicPart::Ed25519(k), _) if cert.info.key_kind == KeyKind::Ed25519 => {
            spki.subject_public_key.data.as_ref() == k.as_slice()
        }
        _ => false,
    };
    if same {
        KeyMatch::Matches
    } else {
        KeyMatch::Mismatch
    }
}

fn strip(mut b: &[u8]) -> &[u8] {
    while b.len() > 1 && b[0] == 0 {
        b = &b[1..];
    }
    b
}

type Parsed = (KeyFormat, KeyKind, Option<PublicPart>);

fn pkcs8(der: &[u8]) -> Option<Parsed> {
    let e = seq(der)?;
    let (t0, _) = e.first()?;
    let (t1, alg) = e.get(1)?;
    let (t2, private) = e.get(2)?;
    if *t0 != 0x02 || *t1 != 0x30 || *t2 != 0x04 {
        return None;
    }
    let alg = elements(alg)?;
    let (ot, oid) = alg.first()?;
    if *ot != 0x06 {
        return None;
    }
    let oid = oid_string(oid)?;
    match oid.as_str() {
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => {
            Some((KeyFormat::Pkcs8, KeyKind::Rsa, Some(pkcs1(private)?)))
        }
        "1.2.840.10045.2.1" => {
            let curve = alg
                .get(1)
                .filter(|(t, _)| *t == 0x06)
                .and_then(|(_, c)| oid_string(c));
            Some((KeyFormat::Pkcs8, KeyKind::Ec, sec1(private, curve)?))
        }
        "1.3.101.112" => {
            let (t, seed, _) = tlv(private)?;
            if t != 0x04 || seed.len() != 32 {
                return None;
            }
            let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(seed).ok()?;
            let public = ring::signature::KeyPair::public_key(&pair)
                .as_ref()
                .to_vec();
            Some((
                KeyFormat::Pkcs8,
                KeyKind::Ed25519,
                Some(PublicPart::Ed25519(public)),
            ))
        }
        "1.3.101.113" => Some((KeyFormat::Pkcs8, KeyKind::Ed448, None)),
        "1.2.840.10040.4.1" => Some((KeyFormat::Pkcs8, KeyKind::Dsa, None)),
        _ => Some((KeyFormat::Pkcs8, KeyKind::Other, None)),
    }
}

fn pkcs1(der: &[u8]) -> Option<PublicPart> {
    let e = seq(der)?;
    if e.len() < 3 || e.iter().take(3).any(|(t, _)| *t != 0x02) {
        return None;
    }
    Some(PublicPart::Rsa {
        modulus: strip(e[1].1).to_vec(),
        exponent: strip(e[2].1).to_vec(),
    })
}

/// ECPrivateKey; `Some(None)` when it is valid but carries no public key.
fn sec1(der: &[u8], curve: Option<String>) -> Option<Option<PublicPart>> {
    let e = seq(der)?;
    let (t0, v) = e.first()?;
    let (t1, _) = e.get(1)?;
    if *t0 != 0x02 || v != &[1] || *t1 != 0x04 {
        return None;
    }
    let mut curve = curve;
    let mut point = None;
    for (tag, c) in e.iter().skip(2) {
        match tag {
            0xa0 => {
                if let Some((0x06, o, _)) = tlv(c) {
                    curve = oid_string(o);
                }
            }
            0xa1 => {
                if let Some((0x03, bits, _)) = tlv(c) {
                    point = bits.get(1..).map(<[u8]>::to_vec);
                }
            }
            _ => {}
        }
    }
    Some(point.map(|point| PublicPart::Ec { curve, point }))
}

fn encrypted_pkcs8(der: &[u8]) -> bool {
    seq(der).is_some_and(|e| e.len() == 2 && e[0].0 == 0x30 && e[1].0 == 0x04)
}
